"""Master-data constraints: enforced by the database itself, and reported by full_clean() before that.

Each IntegrityError case runs in its own savepoint so the test's transaction stays usable; foreign keys are
DEFERRABLE INITIALLY DEFERRED on both backends, so `connection.check_constraints()` makes them fire now.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models.deletion import ProtectedError

from warehouse.models import Artist, ArtistAlias, Platform, StoreAlias, Track, TrackArtist, normalize_isrc

pytestmark = pytest.mark.django_db


def raises_integrity(fn, errors=IntegrityError):
    with pytest.raises(errors):
        with transaction.atomic():
            fn()
            connection.check_constraints()


# --- ISRC ---------------------------------------------------------------------------------------------------------


def test_isrc_is_normalized_on_save():
    track = Track.objects.create(isrc=" qz-new 25-00001 ", title="NEW")
    assert Track.objects.get(pk=track.pk).isrc == "QZNEW2500001"
    assert normalize_isrc("qz-taw-24-96365") == "QZTAW2496365"


def test_duplicate_isrc_is_rejected_by_the_database_and_by_full_clean():
    raises_integrity(lambda: Track.objects.create(isrc="QZTAW2496365", title="SAME ISRC"))
    raises_integrity(lambda: Track.objects.create(isrc="qz-taw-24-96365", title="SAME ISRC, OTHER SPELLING"))
    with pytest.raises(ValidationError) as exc:
        Track(isrc="QZTAW2496365", title="SAME ISRC").full_clean()
    assert exc.value.message_dict == {"isrc": ["Track with this Isrc already exists."]}


@pytest.mark.parametrize("isrc", ["QZTAW24963", "QZTAW249636500", "1ZTAW2496365", "QZTAW24963X5", "QZ TAW"])
def test_invalid_isrc_is_rejected_by_the_database_and_by_full_clean(isrc):
    # bulk_create skips save() and its normalization: the check constraint alone must refuse the value.
    # Too long: PostgreSQL refuses it as varchar(12) overflow (DataError), SQLite by the check constraint.
    errors = (IntegrityError, DataError) if len(isrc) > 12 else IntegrityError
    raises_integrity(lambda: Track.objects.bulk_create([Track(isrc=isrc, title="BAD")]), errors)
    with pytest.raises(ValidationError) as exc:
        Track(isrc=isrc, title="BAD").full_clean()
    assert exc.value.message_dict["isrc"][0] in (
        "ISRC must look like CCXXXYYNNNNN (e.g. QZTAW2496365).",
        f"Ensure this value has at most 12 characters (it has {len(isrc)}).",
    )
    assert not Track.objects.filter(title="BAD").exists()


def test_lower_case_isrc_written_around_save_is_rejected():
    raises_integrity(lambda: Track.objects.bulk_create([Track(isrc="qztaw2496399", title="LOWER")]))
    track = Track.objects.get(isrc="QZTAW2496365")
    raises_integrity(lambda: Track.objects.filter(pk=track.pk).update(isrc="qztaw2496365"))


# --- Artists and aliases --------------------------------------------------------------------------------------


def test_artist_name_must_be_upper_case():
    raises_integrity(lambda: Artist.objects.create(name="Deep Curse"))
    with pytest.raises(ValidationError) as exc:
        Artist(name="Deep Curse").full_clean()
    assert exc.value.message_dict == {"__all__": ["Constraint “artist_name_upper_case” is violated."]}
    Artist(name="DEEP CURSE").full_clean()


def test_duplicate_artist_name_and_spotify_id_are_rejected():
    raises_integrity(lambda: Artist.objects.create(name="PIG1987"))
    raises_integrity(lambda: Artist.objects.create(name="OTHER", spotify_artist_id="1Eu67EqPy2NutiM0lqCarw"))
    # NULL ids do not collide: several artists have none
    assert Artist.objects.filter(spotify_artist_id__isnull=True).count() == 3


@pytest.mark.parametrize("spelling", ["zone.a0", "ZONE.A0", "  Zone.A0 ", "PIG1987", "pig1987", "Pig1987 "])
def test_alias_uniqueness_is_case_insensitive(spelling):
    raises_integrity(lambda: ArtistAlias.objects.create(alias=spelling))
    with pytest.raises(ValidationError) as exc:
        ArtistAlias(alias=spelling).full_clean()
    assert exc.value.message_dict == {
        "alias": [f"The alias {spelling!r} exists already (matching ignores case and spaces)."],
        "alias_key": ["Artist alias with this Alias key already exists."],  # forms leave this one out
    }


def test_alias_key_collapses_spaces_and_case():
    alias = ArtistAlias.objects.create(alias="  Zone   Aa0 ")
    assert alias.alias_key == "zone aa0"
    alias.full_clean()  # its own row is not a duplicate


def test_store_alias_is_unique():
    raises_integrity(lambda: StoreAlias.objects.create(store="YouTube (Ads)"))


# --- Foreign keys -------------------------------------------------------------------------------------------------


def test_foreign_keys_are_enforced_by_the_database():
    track = Track.objects.get(isrc="QZTAW2496365")
    raises_integrity(lambda: TrackArtist.objects.create(track=track, artist_id=987654321))
    raises_integrity(lambda: ArtistAlias.objects.create(alias="ghost", artist_id=987654321))
    raises_integrity(lambda: StoreAlias.objects.create(store="Ghost Store", platform_id=987654321))


def test_master_data_in_use_is_protected_from_deletion():
    with pytest.raises(ProtectedError):
        Artist.objects.get(name="ZONE A0").delete()
    with pytest.raises(ProtectedError):
        Platform.objects.get(slug="youtube").delete()


def test_track_artist_link_is_unique_and_share_is_0_to_100():
    track = Track.objects.get(isrc="QZTAW2496365")
    zone = Artist.objects.get(name="ZONE A0")
    raises_integrity(lambda: TrackArtist.objects.create(track=track, artist=zone, role="featured"))
    pig = Artist.objects.get(name="PIG1987")
    raises_integrity(lambda: TrackArtist.objects.create(track=track, artist=pig, label_share_pct=101))
    raises_integrity(lambda: TrackArtist.objects.create(track=track, artist=pig, label_share_pct=-1))
    with pytest.raises(ValidationError) as exc:
        TrackArtist(track=track, artist=pig, label_share_pct=150).full_clean()
    assert exc.value.message_dict["label_share_pct"] == ["Ensure this value is less than or equal to 100."]
