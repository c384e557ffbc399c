"""Statement fixtures: the sample lake loaded once per module (tests/api/conftest.py) and royalty splits set by
factories: every sample track's links confirmed with the shares below."""

from decimal import Decimal

import pytest

from tests.api.conftest import _loaded_module, _no_response_cache, loaded, staff, token_client, viewer  # noqa: F401
from tests.api.test_schema import keep_test_connection  # noqa: F401
from tests.factories import ArtistFactory, TrackArtistFactory, TrackFactory
from warehouse.models import TrackArtist

# ISRC → {artist: label_share_pct}, primary artist first. The artist's share is 100 − label_share_pct; on a shared
# track the label keeps what the artists' shares leave.
SPLITS = {
    **{
        isrc: {"PIG1987": Decimal("50")}
        for isrc in ("QZZ7M2424176", "QZZ772463135", "QZZ7M2426076", "QZWFK2497196", "QZTBF2439187", "QZK6K2562910")
    },
    **{
        isrc: {"ZONE A0": Decimal("42.5")}
        for isrc in ("QZTBF2441974", "QZTAW2496365", "QZTAW2496366", "QZTB92494812", "QZZ7N2490366", "QZZ772465695")
    },
    "QZES62532055": {"PIG1987": Decimal("65"), "ZONE A0": Decimal("85")},  # HEAVEN NIGHTCLUB (feat. ZONE A0)
    "QZZ792400421": {"ZONE A0": Decimal("70"), "PIG1987": Decimal("80")},  # PATHFINDER (feat. PIG1987)
}


def splits_set(splits: dict = SPLITS, *, confirmed: bool = True) -> None:
    for isrc, shares in splits.items():
        track = TrackFactory(isrc=isrc)
        TrackArtist.objects.filter(track=track).exclude(artist__name__in=shares).delete()
        for position, (name, label_pct) in enumerate(shares.items()):
            artist = ArtistFactory(name=name)
            role = TrackArtist.Role.PRIMARY if position == 0 else TrackArtist.Role.FEATURED
            link = TrackArtist.objects.filter(track=track, artist=artist).first() or TrackArtistFactory.build(
                track=track, artist=artist
            )
            link.role, link.label_share_pct, link.share_confirmed = role, label_pct, confirmed
            link.save()


@pytest.fixture
def splits(loaded):  # noqa: F811  (the imported fixture, requested by name)
    splits_set()
    return SPLITS
