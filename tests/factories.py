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
    started_at = factory.LazyFunction(lambda: dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC))
    finished_at = factory.LazyFunction(lambda: dt.datetime(2025, 6, 1, 12, 1, tzinfo=dt.UTC))


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


# --- Dashboard API facts (Spotify audience, Meta, expenses) -----------------------------------------------------


class SpotifyAudienceDailyFactory(_FactFactory):
    class Meta:
        model = models.SpotifyAudienceDaily

    artist = factory.LazyFunction(lambda: models.Artist.objects.get(name="PIG1987"))
    date = factory.Sequence(lambda n: dt.date(2025, 5, 1) + dt.timedelta(days=n))
    listeners = 100
    streams = 200
    followers = 1000
    source_alias = "pig1987"
    spotify_artist_id = factory.LazyAttribute(lambda o: o.artist.spotify_artist_id or "")
    extracted_at = "2025-06-23T08:14:02.123456"
    processed_at = "2025-06-23T08:15:00.000001"
    source_file_label = "spotify_audience_1Eu67EqPy2NutiM0lqCarw_20250623_081402.csv"


class CampaignFactory(DjangoModelFactory):
    class Meta:
        model = models.Campaign
        django_get_or_create = ("campaign_id",)

    campaign_id = factory.Sequence(lambda n: f"1202{n:014d}")
    name = factory.Sequence(lambda n: f"PIG1987 - TRACK {n} - STREAMING")
    objective = "OUTCOME_ENGAGEMENT"
    status = "PAUSED"
    parse_status = models.Campaign.ParseStatus.PARSED


class CampaignDailyFactory(_FactFactory):
    class Meta:
        model = models.CampaignDaily

    campaign = factory.SubFactory(CampaignFactory)
    date = dt.date(2025, 5, 1)
    spend_usd = Decimal("10.00")
    impressions = 1000
    clicks = 10
    reach = 800


class AdPerformanceDailyFactory(_FactFactory):
    class Meta:
        model = models.AdPerformanceDaily

    campaign = factory.SubFactory(CampaignFactory)
    date = dt.date(2025, 5, 1)
    adset_id = factory.Sequence(lambda n: f"1203{n:014d}")
    spend_usd = Decimal("5.00")
    impressions = 500
    clicks = 5
    reach = 400


class AdInsightWindowFactory(_FactFactory):
    class Meta:
        model = models.AdInsightWindow

    campaign = factory.SubFactory(CampaignFactory)
    adset_id = "120300000000000001"
    date_start = dt.date(2025, 5, 23)
    date_stop = dt.date(2025, 5, 27)
    spend_usd = Decimal("20.00")
    impressions = 2000
    clicks = 20
    reach = 1500


class BusinessExpenseFactory(_FactFactory):
    class Meta:
        model = models.BusinessExpense

    date = dt.date(2025, 5, 1)
    description = "DistroKid subscription"
    amount_usd = Decimal("24.99")
    category = "Software"
    card_last4 = "7113"
    row_hash = factory.Sequence(lambda n: f"{n:064x}")
    occurrence = 1


def api_token_for(user) -> str:
    """A new API token key for `user`, as a client sends it (`Authorization: Token <key>`). Tests get tokens only
    through here; the database keeps only the key's sha256 (warehouse/tokens.py)."""
    from warehouse.tokens import api_token_create

    return api_token_create(user=user, name="test")[1]
