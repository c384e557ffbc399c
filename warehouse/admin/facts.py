"""Fact tables and the aggregates derived from them: the loader's rows, viewable and filterable, never edited."""

import re

from django.contrib import admin
from django.utils.html import format_html

from warehouse import models as m
from warehouse.admin import display as show
from warehouse.admin.base import ReadOnlyAdmin
from warehouse.admin.filters import LoadRunFilter, RoyaltySourceFileFilter, SourceKindFilter

FACT_FILTERS = (SourceKindFilter, LoadRunFilter)


@admin.register(m.RoyaltyLine)
class RoyaltyLineAdmin(ReadOnlyAdmin):
    list_display = (
        show.month_column("sale_month", "sale month"),
        "artist_shown",
        "title",
        "store",
        "quantity",
        show.money_column("earnings_usd", "earnings"),
    )
    date_hierarchy = "sale_month"  # years and months from the aggregate (month_hierarchy), not a scan of every line
    list_filter = (
        "platform",
        "artist",
        "is_adjustment",
        ("retracted_by_file", admin.EmptyFieldListFilter),
        RoyaltySourceFileFilter,
        LoadRunFilter,
    )
    list_select_related = ("artist",)
    search_fields = ("isrc", "title", "store", "artist_raw")
    search_help_text = "An ISRC (any spelling) finds its track's lines through an index; other text scans every line."

    @admin.display(description="artist", ordering="artist_raw")
    def artist_shown(self, obj):
        if obj.artist is None:
            return format_html('{} <span class="bedrot-unmatched">(unmatched)</span>', obj.artist_raw)
        return obj.artist.name

    def get_search_results(self, request, queryset, search_term):
        isrc = m.normalize_isrc(search_term)
        if re.fullmatch(m.ISRC_PATTERN, isrc):
            # A LIKE over title/store/artist of a million lines takes seconds; (track, sale_month) is indexed.
            track = m.Track.objects.filter(isrc=isrc).first()
            return (queryset.filter(track=track) if track else queryset.filter(isrc=isrc)), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(m.DistributorDailyStream)
class DistributorDailyStreamAdmin(ReadOnlyAdmin):
    list_display = ("date", "source", "spotify_streams", "apple_streams", "combined_streams", "is_partial")
    date_hierarchy = "date"
    list_filter = ("source", "is_partial", *FACT_FILTERS)


@admin.register(m.SpotifyAudienceDaily)
class SpotifyAudienceDailyAdmin(ReadOnlyAdmin):
    list_display = ("date", "artist", "listeners", "streams", "followers")
    date_hierarchy = "date"
    list_filter = ("artist", *FACT_FILTERS)
    list_select_related = ("artist",)


@admin.register(m.SpotifySongMetric)
class SpotifySongMetricAdmin(ReadOnlyAdmin):
    list_display = ("extraction_date", "spotify_track", "time_period", "streams", "listeners", "savers")
    date_hierarchy = "extraction_date"
    list_filter = ("time_period", "artist", *FACT_FILTERS)
    list_select_related = ("spotify_track",)
    search_fields = ("spotify_track__name", "spotify_track__spotify_track_id")


@admin.register(m.TiktokDaily)
class TiktokDailyAdmin(ReadOnlyAdmin):
    list_display = ("date", "account", "video_views", "profile_views", "likes", "comments", "shares")
    date_hierarchy = "date"
    list_filter = ("account", *FACT_FILTERS)
    list_select_related = ("account__platform",)


@admin.register(m.LinktreeDaily)
class LinktreeDailyAdmin(ReadOnlyAdmin):
    list_display = ("date", "account", "total_views", "unique_views", "total_clicks", "unique_clicks")
    date_hierarchy = "date"
    list_filter = ("account", *FACT_FILTERS)


@admin.register(m.AdAccountDaily)
class AdAccountDailyAdmin(ReadOnlyAdmin):
    list_display = ("date", show.money_column("spend_usd", "spend"), "impressions", "clicks", "reach")
    date_hierarchy = "date"
    list_filter = FACT_FILTERS


@admin.register(m.AdPerformanceDaily)
class AdPerformanceDailyAdmin(ReadOnlyAdmin):
    list_display = (
        "date",
        "campaign",
        "adset_name",
        "ad_name",
        show.money_column("spend_usd", "spend"),
        "impressions",
        "clicks",
        "superseded",
    )
    date_hierarchy = "date"
    list_filter = ("superseded", *FACT_FILTERS)
    list_select_related = ("campaign",)
    search_fields = ("campaign__name", "adset_name", "ad_name")


@admin.register(m.AdInsightWindow)
class AdInsightWindowAdmin(ReadOnlyAdmin):
    list_display = (
        "campaign",
        "adset_name",
        "date_start",
        "date_stop",
        show.money_column("spend_usd", "spend"),
        "impressions",
    )
    date_hierarchy = "date_start"
    list_filter = FACT_FILTERS
    list_select_related = ("campaign",)
    search_fields = ("campaign__name", "adset_name")


@admin.register(m.CampaignDaily)
class CampaignDailyAdmin(ReadOnlyAdmin):
    list_display = ("date", "campaign", show.money_column("spend_usd", "spend"), "impressions", "clicks", "reach")
    date_hierarchy = "date"
    list_filter = ("campaign__artist", *FACT_FILTERS)
    list_select_related = ("campaign",)
    search_fields = ("campaign__name", "campaign__campaign_id")


@admin.register(m.BusinessExpense)
class BusinessExpenseAdmin(ReadOnlyAdmin):
    list_display = ("date", "description", show.money_column("amount_usd", "amount"), "category", "status", "source")
    date_hierarchy = "date"
    list_filter = ("source", "category", *FACT_FILTERS)
    search_fields = ("description",)


@admin.register(m.RoyaltyMonthlyAggregate)
class RoyaltyMonthlyAggregateAdmin(ReadOnlyAdmin):
    """Derived from royalty_line inside each load (services.facts_changed): shown for checking, never edited."""

    list_display = (
        show.month_column("sale_month", "sale month"),
        "store",
        "artist",
        "artist_raw",
        show.money_column("earnings_usd", "earnings"),
        "quantity",
        "line_count",
    )
    date_hierarchy = "sale_month"
    list_filter = ("platform", "artist")
    list_select_related = ("artist",)


@admin.register(m.RoyaltyIsrcAggregate)
class RoyaltyIsrcAggregateAdmin(ReadOnlyAdmin):
    """Royalty lines per ISRC (the top tracks), derived like the monthly aggregate."""

    list_display = ("isrc", "streams", show.money_column("revenue_usd", "revenue"), "line_count")
    search_fields = ("isrc",)


@admin.register(m.RoyaltyDelayAggregate)
class RoyaltyDelayAggregateAdmin(ReadOnlyAdmin):
    """Royalty lines per (Sale Month, reporting month), derived like the monthly aggregate."""

    list_display = (
        show.month_column("sale_month", "sale month"),
        show.month_column("reporting_month", "reported"),
        "line_count",
    )
    date_hierarchy = "sale_month"
