"""The one rule that turns a raw artist name into an artist: loads, staff changes, imports, campaign names, the API.

A name matches by its key (`normalize_alias`: trimmed, spaces collapsed, case-folded): a mapped alias first, else
the artist whose canonical name has that key. An alias still waiting for staff (artist NULL) matches nothing.
"""

from collections.abc import Iterable

from warehouse.models import Artist, ArtistAlias, normalize_alias


def artists_by_key() -> dict[str, Artist]:
    """Every matching key → its artist (both tables hold a few dozen rows: read whole)."""
    by_key = {normalize_alias(artist.name): artist for artist in Artist.objects.all()}
    for alias in ArtistAlias.objects.filter(artist__isnull=False).select_related("artist"):
        by_key[alias.alias_key] = alias.artist
    return by_key


def artist_ids_by_name(*, names: Iterable[str]) -> dict[str, int | None]:
    """Raw names → artist id (None: unknown)."""
    by_key = artists_by_key()
    found = {name: by_key.get(normalize_alias(name)) for name in set(names) if name}
    return {name: artist.pk if artist else None for name, artist in found.items()}


def artist_by_name(*, name: str) -> Artist | None:
    return artists_by_key().get(normalize_alias(name))
