"""factory_boy factories for the warehouse models. Lineage-bearing facts get a LoadRun and SourceFile."""

import datetime as dt
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from warehouse import models


class ArtistFactory(DjangoModelFactory):
    class Meta:
        model = models.Artist
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"ARTIST {n}")


class ArtistAliasFactory(DjangoModelFactory):
    class Meta:
        model = models.ArtistAlias

    alias = factory.Sequence(lambda n: f"alias-{n}")
    artist = factory.SubFactory(ArtistFactory)


class TrackFactory(DjangoModelFactory):
    class Meta:
        model = models.Track
        django_get_or_create = ("isrc",)

    isrc = factory.Sequence(lambda n: f"QZTST{n % 100:02d}{n:05d}")
    title = factory.Sequence(lambda n: f"TRACK {n}")


class TrackArtistFactory(DjangoModelFactory):
    class Meta:
        model = models.TrackArtist

    track = factory.SubFactory(TrackFactory)
    artist = factory.SubFactory(ArtistFactory)


class PlatformFactory(DjangoModelFactory):
    class Meta:
        model = models.Platform
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"platform_{n}")
    name = factory.Sequence(lambda n: f"Platform {n}")
    type = models.Platform.Type.STREAMING


class LoadRunFactory(DjangoModelFactory):
    class Meta:
        model = models.LoadRun

    status = models.LoadRun.Status.SUCCEEDED
    started_at = factory.LazyFunction(lambda: dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.timezone.utc))
    finished_at = factory.LazyFunction(lambda: dt.datetime(2025, 6, 1, 12, 1, tzinfo=dt.timezone.utc))


class SourceFileFactory(DjangoModelFactory):
    class Meta:
        model = models.SourceFile

    load_run = factory.SubFactory(LoadRunFactory)
    kind = "dk_bank_details"
    path = "dk_bank_details.csv"
    sha256 = factory.Sequence(lambda n: f"{n:064x}")
    status = models.SourceFile.Status.LOADED


class _FactFactory(DjangoModelFactory):
    source_file = factory.SubFactory(SourceFileFactory)
    load_run = factory.SelfAttribute("source_file.load_run")
    source_line = factory.Sequence(lambda n: n + 2)


class DistributorDailyStreamFactory(_FactFactory):
    class Meta:
        model = models.DistributorDailyStream

    date = factory.Sequence(lambda n: dt.date(2025, 1, 1) + dt.timedelta(days=n))
    source = models.DistributorDailyStream.Source.DISTROKID
    spotify_streams = 100
    apple_streams = 10
    combined_streams = factory.LazyAttribute(lambda o: o.spotify_streams + o.apple_streams)


class RoyaltyLineFactory(_FactFactory):
    class Meta:
        model = models.RoyaltyLine

    reporting_date = dt.date(2025, 3, 29)
    sale_month = dt.date(2025, 1, 1)
    store = "Spotify"
    platform = factory.LazyFunction(lambda: models.Platform.objects.get(slug="spotify"))
    artist = factory.SubFactory(ArtistFactory, name="PIG1987")
    artist_raw = "PIG1987"
    track = None
    isrc = ""
    quantity = 100
    team_pct = Decimal("100")
    song_or_album = "Song"
    country = factory.LazyFunction(lambda: models.Country.objects.get_or_create(code="US")[0])
    withheld_usd = Decimal("0")
    earnings_usd = Decimal("0.25")
    is_adjustment = factory.LazyAttribute(lambda o: o.earnings_usd < 0)
    row_hash = factory.Sequence(lambda n: f"{n:064x}")
    occurrence = 1
    first_seen_file = factory.SelfAttribute("source_file")
    last_seen_file = factory.SelfAttribute("source_file")
