"""Master data met by loads: names, stores, tracks, countries, social accounts, Spotify rows.

Unknown names never become artists/platforms on their own: they are queued (artist/platform NULL) for staff.
"""

from warehouse.artist_lookup import artist_ids_by_name
from warehouse.models import (
    Artist,
    ArtistAlias,
    Country,
    Platform,
    SocialAccount,
    SourceFile,
    SpotifyTrack,
    StoreAlias,
    Track,
    TrackArtist,
    normalize_alias,
)

# --- Master-data resolution for loads -----------------------------------------------------------------------------
# Unknown names never become artists/platforms on their own: they are queued (artist/platform NULL) for staff.


def artist_alias_resolve(
    *, names: list[str], source_file: SourceFile | None = None, queue: bool = True
) -> dict[str, int | None]:
    """Raw artist names → artist id (None = unmatched). Unknown names are queued via `artist_alias_queue`
    (unless `queue` is false: a lookup of names already seen)."""
    resolved = artist_ids_by_name(names=names)
    if queue:
        for name in sorted(name for name, artist_id in resolved.items() if artist_id is None):
            artist_alias_queue(alias=name, source_file=source_file)
    return resolved


def artist_alias_queue(*, alias: str, source_file: SourceFile | None = None) -> ArtistAlias:
    """Put an unknown spelling on the staff review list (artist NULL). Idempotent by the matching key."""
    record, _ = ArtistAlias.objects.get_or_create(
        alias_key=normalize_alias(alias), defaults={"alias": alias, "artist": None, "first_seen_file": source_file}
    )
    return record


def store_alias_resolve(
    *, stores: list[str], source_file: SourceFile | None = None, queue: bool = True
) -> dict[str, int | None]:
    """Distributor store names → platform id. An unknown store is queued as StoreAlias(platform NULL) (unless
    `queue` is false) and maps to None: it never defaults to another platform (contract §4.3)."""
    wanted = set(stores)
    known = dict(StoreAlias.objects.filter(store__in=wanted).values_list("store", "platform_id"))
    for store in wanted - set(known):
        if queue:
            StoreAlias.objects.get_or_create(store=store, defaults={"platform": None, "first_seen_file": source_file})
        known[store] = None
    return known


def track_ensure(
    *, tracks: list[tuple[str, str, str, int | None]], source_file: SourceFile | None = None
) -> dict[str, int]:
    """(isrc, title, upc, primary artist id) → track id by ISRC. A new ISRC creates its track under its artist
    with needs_review (staff confirm what a load inferred); existing tracks are never renamed by a load."""
    wanted = {isrc: (title, upc, artist_id) for isrc, title, upc, artist_id in tracks if isrc}
    known = dict(Track.objects.filter(isrc__in=set(wanted)).values_list("isrc", "id"))
    for isrc in sorted(set(wanted) - set(known)):
        title, upc, artist_id = wanted[isrc]
        track = Track.objects.create(isrc=isrc, title=title[:300], upc=(upc or "")[:20], needs_review=True)
        if artist_id is not None:
            TrackArtist.objects.create(track=track, artist_id=artist_id, role=TrackArtist.Role.PRIMARY)
        known[isrc] = track.pk
    return known


def country_ensure(*, codes: list[str]) -> int:
    """Add country codes seen in data (DistroKid uses a few non-ISO ones such as `OU`). Returns how many were new."""
    wanted = set(codes)
    missing = wanted - set(Country.objects.filter(code__in=wanted).values_list("code", flat=True))
    Country.objects.bulk_create([Country(code=code) for code in sorted(missing)], ignore_conflicts=True)
    return len(missing)


# --- Social accounts ---------------------------------------------------------------------------------------------


def social_account_ensure(
    *, platform_slug: str, handles: list[str], source_file: SourceFile | None = None
) -> dict[str, int]:
    """Handles → social_account pk. An unknown handle creates its account: the artist is the handle's alias
    target when the alias is known, else NULL with the alias queued for staff (contract §2.5)."""

    platform = Platform.objects.get(slug=platform_slug)
    accounts = dict(SocialAccount.objects.filter(platform=platform, handle__in=handles).values_list("handle", "pk"))
    new = [handle for handle in handles if handle and handle not in accounts]
    if new:
        artists = artist_alias_resolve(names=new, source_file=source_file)
        for handle in new:
            account = SocialAccount.objects.create(platform=platform, handle=handle, artist_id=artists.get(handle))
            accounts[handle] = account.pk
    return accounts


# --- Spotify ------------------------------------------------------------------------------------------------------


def artist_by_spotify_id(*, ids: list[str]) -> dict[str, int]:
    """Spotify artist ids → artist pk, from artist.spotify_artist_id or an alias spelled as the id (§4.1)."""
    found = dict(Artist.objects.filter(spotify_artist_id__in=ids).values_list("spotify_artist_id", "pk"))
    keys = {normalize_alias(i): i for i in ids if i not in found}
    for key, artist_id in ArtistAlias.objects.filter(alias_key__in=keys, artist__isnull=False).values_list(
        "alias_key", "artist_id"
    ):
        found[keys[key]] = artist_id
    return found


def spotify_track_upsert(*, spotify_track_id: str, **values) -> tuple[int, str]:
    """One spotify_track from a dimension row; across copies first_seen keeps the minimum and last_updated the
    maximum (§2.4). Returns (pk, "inserted" | "updated" | "unchanged"). Never linked to `track` here."""

    track = SpotifyTrack.objects.filter(spotify_track_id=spotify_track_id).first()
    outcome = "unchanged"
    if track is None:
        track, outcome = SpotifyTrack(spotify_track_id=spotify_track_id), "inserted"
    wanted = dict(values, is_stub=False)
    if (
        outcome != "inserted"
        and track.last_updated
        and wanted.get("last_updated")
        and (wanted["last_updated"] < track.last_updated)
    ):
        # An older copy (loaded late, or replayed by --force) never overwrites the newer description.
        wanted = {"first_seen": wanted.get("first_seen"), "last_updated": wanted["last_updated"]}
    for field, pick in (("first_seen", min), ("last_updated", max)):
        stored, new = getattr(track, field), wanted.get(field)
        wanted[field] = pick(v for v in (stored, new) if v is not None) if (stored or new) else None
    changed = [field for field, value in wanted.items() if getattr(track, field) != value]
    if outcome == "inserted" or changed:
        for field, value in wanted.items():
            setattr(track, field, value)
        track.save()
        outcome = "inserted" if outcome == "inserted" else "updated"
    return track.pk, outcome


def spotify_track_stub_ensure(*, spotify_track_ids: list[str]) -> dict[str, int]:
    """Spotify track ids → pk; an id no dimension file named gets a stub row (`is_stub`) so its metrics load."""

    known = dict(
        SpotifyTrack.objects.filter(spotify_track_id__in=spotify_track_ids).values_list("spotify_track_id", "pk")
    )
    for track_id in spotify_track_ids:
        if track_id not in known:
            known[track_id] = SpotifyTrack.objects.create(spotify_track_id=track_id, is_stub=True).pk
    return known


# --- Catalog from the royalty-splits file ---------------------------------------------------------------------


def track_split_upsert(
    *, isrc: str, artist_id: int, title: str, upc: str, release_date, release_type: str, label_share_pct
) -> tuple[int, str]:
    """Upsert a track by ISRC and its artist's label share (contract §2.10 variant A); returns (track pk,
    "inserted" | "updated" | "unchanged"). A new link is the primary artist when the track has none yet, else
    featured. Empty values in the file never blank stored ones; the share stays unconfirmed until staff confirm it."""
    track = Track.objects.filter(isrc=isrc).first()
    outcome = "unchanged"
    if track is None:
        track, outcome = Track(isrc=isrc, title=title), "inserted"
    wanted = {"title": title, "upc": upc, "release_date": release_date, "release_type": release_type}
    wanted = {field: value for field, value in wanted.items() if value not in ("", None)}
    if outcome == "inserted" or any(getattr(track, f) != v for f, v in wanted.items()):
        for field, value in wanted.items():
            setattr(track, field, value)
        track.save()
        outcome = "inserted" if outcome == "inserted" else "updated"
    link = TrackArtist.objects.filter(track=track, artist_id=artist_id).first()
    if link is None:
        has_primary = TrackArtist.objects.filter(track=track, role=TrackArtist.Role.PRIMARY).exists()
        role = TrackArtist.Role.FEATURED if has_primary else TrackArtist.Role.PRIMARY
        TrackArtist.objects.create(track=track, artist_id=artist_id, role=role, label_share_pct=label_share_pct)
        outcome = "inserted" if outcome == "inserted" else "updated"
    elif link.label_share_pct != label_share_pct:
        link.label_share_pct = label_share_pct
        link.save(update_fields=["label_share_pct"])
        outcome = "inserted" if outcome == "inserted" else "updated"
    return track.pk, outcome
