"""The documented response bodies. Dashboard payloads are built by selectors as plain dicts of Decimal, int and
text; the descriptions below are both their OpenAPI schema (drf-spectacular) and their wire shape
(`api.fields.shape`: rounding, floats).
"""

import copy

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

from api.fields import PctField, RateField, RatioField, RoundedField, UsdField

F, I, S, B = serializers.FloatField, serializers.IntegerField, serializers.CharField, serializers.BooleanField


def obj(name: str, fields: dict) -> serializers.Serializer:
    # Fresh copies: a DRF field instance binds to one parent, and these descriptions are shared.
    return inline_serializer(name=name, fields={key: copy.deepcopy(value) for key, value in fields.items()})


def many(child) -> serializers.ListField:
    return serializers.ListField(child=copy.deepcopy(child))


def mapping(child) -> serializers.DictField:
    return serializers.DictField(child=copy.deepcopy(child))


def envelope(name: str, data, metadata=None) -> OpenApiResponse:
    fields = {"success": B(), "data": copy.deepcopy(data)}
    fields["metadata"] = metadata if metadata is not None else serializers.DictField()
    return OpenApiResponse(obj(name, fields))


ERROR = obj("Error", {"success": B(), "error": S()})
ERROR_RESPONSES = {
    400: OpenApiResponse(ERROR, description="bad parameter (named in the message)"),
    401: OpenApiResponse(ERROR, description="no credentials"),
    403: OpenApiResponse(ERROR, description="not allowed"),
    429: OpenApiResponse(ERROR, description="throttled"),
}


def optional(field):
    """A copy of `field` that a body may omit. DRF copies a field by calling its constructor again with the
    original arguments, so `required` goes into those arguments."""
    field = copy.deepcopy(field)
    field._kwargs["required"] = field.required = False
    return field


def soft(name: str, data, metadata=None) -> OpenApiResponse:
    """200 with the normal envelope, or the contract's soft failure {"success": false, "error": ...}."""
    metadata = metadata if metadata is not None else serializers.DictField()
    fields = {"success": B(), "data": optional(data), "metadata": optional(metadata)}  # absent from the failure
    return OpenApiResponse(
        obj(name, {**fields, "error": S(required=False)}),
        description='Normal envelope, or HTTP 200 {"success": false, "error": <message>} when there is no data.',
    )


def nullable_int(**kw):
    return I(allow_null=True, **kw)


MONEY_GOAL = obj("MoneyGoal", {"target": UsdField(), "current": UsdField(), "progress": PctField(), "status": S()})
COUNT_GOAL = obj("CountGoal", {"target": I(), "current": I(), "progress": PctField(), "status": S()})
GOALS = obj("Goals", {"monthly_revenue": MONEY_GOAL, "monthly_streams": COUNT_GOAL, "spotify_followers": COUNT_GOAL})
ALERT = obj("Alert", {"type": S(), "severity": S(), "message": S(), "timestamp": S()})
ALERTS = many(ALERT)
DISTRIBUTOR_VALUE = obj(
    "DistributorValue",
    {
        "days_active": I(),
        "total_streams": I(),
        "spotify_streams": I(),
        "apple_streams": I(),
        "estimated_revenue": UsdField(),
    },
)
DISTRIBUTORS = obj("DistributorRevenue", {"distrokid": DISTRIBUTOR_VALUE, "toolost": DISTRIBUTOR_VALUE})

KPI_SUMMARY = obj(
    "KpiSummary",
    {
        "total_revenue": UsdField(),
        "total_streams": I(),
        "average_revenue_per_stream": RateField(),
        "current_month_revenue": UsdField(),
        "artist_count": I(),
        "top_artist": S(allow_null=True),
        "distributor_breakdown": obj("DistributorBreakdown", {"distrokid": UsdField(), "toolost": UsdField()}),
        "last_updated": S(allow_null=True),
        "tiktok": optional(
            obj("KpiTiktok", {"video_views": I(), "engagement_rate": RatioField()})
        ),  # only with TikTok data
        "marketing": optional(  # only with Meta data
            obj(
                "KpiMarketing",
                {
                    "total_ad_spend": UsdField(),
                    "total_impressions": I(),
                    "average_cpc": UsdField(),
                    "total_clicks": I(),
                },
            )
        ),
    },
)
KPI_SUMMARY_META = obj(
    "KpiSummaryMeta",
    {
        "sources": serializers.ListField(child=S()),
        "current_month": S(allow_null=True),
        "last_updated": S(allow_null=True),
        "refresh_interval_seconds": I(),
    },
)
KPI_REALTIME = obj(
    "KpiRealtime",
    {
        "current_day": obj(
            "RealtimeDay", {"date": S(), "spotify_streams": I(), "apple_streams": I(), "total_streams": I()}
        ),
        "daily_change": obj(
            "RealtimeChange",
            {"spotify": I(), "apple": I(), "total": I(), "spotify_percent": PctField(), "apple_percent": PctField()},
        ),
    },
)
MONTHLY_ITEM = obj(
    "MonthlyRevenue",
    {
        "month": S(),
        "actual_revenue": UsdField(),
        "transaction_count": I(),
        "platforms": serializers.ListField(child=S()),
        "expected_revenue": UsdField(allow_null=True),
        "spotify_streams": nullable_int(),
        "apple_streams": nullable_int(),
        "total_streams": nullable_int(),
        "variance": UsdField(allow_null=True),
        "payment_status": S(),
        "expected_payment_date": S(allow_null=True),
        "overdue": serializers.BooleanField(),
    },
)
MONTHLY = many(MONTHLY_ITEM)
PLATFORM_VALUE = obj(
    "PlatformRevenue",
    {"total_revenue": UsdField(), "total_streams": I(), "revenue_per_stream": RateField(), "transaction_count": I()},
)
PLATFORMS = mapping(PLATFORM_VALUE)
ARTIST_VALUE = obj(
    "ArtistRevenue",
    {
        "total_revenue": UsdField(),
        "total_streams": I(),
        "transaction_count": I(),
        "platforms": serializers.ListField(child=S()),
        "platform_count": I(),
    },
)
ARTISTS = mapping(ARTIST_VALUE)
DELAYS = obj(
    "RevenueDelays",
    {
        "average_delay_months": PctField(),
        "most_common_delay_months": I(),
        "delay_distribution": serializers.DictField(child=obj("DelayBucket", {"count": I(), "percentage": PctField()})),
        "total_transactions_analyzed": I(required=False),
    },
)
RATES = serializers.DictField(child=F())
DAILY_ROW = obj(
    "DailyStreams",
    {
        "date": S(),
        "spotify_streams": I(),
        "apple_streams": I(),
        "combined_streams": I(),
        "source": S(),
        "is_partial": serializers.BooleanField(),
    },
)
DAILY = many(DAILY_ROW)
SOURCE_TOTALS = obj("SourceTotals", {"spotify": I(), "apple": I(), "total": I(), "days": I()})
STREAMING_SUMMARY = obj(
    "StreamingSummary",
    {
        "total_streams": obj("StreamTotals", {"spotify": I(), "apple": I(), "combined": I()}),
        "by_distributor": obj("ByDistributor", {"distrokid": SOURCE_TOTALS, "toolost": SOURCE_TOTALS}),
        "date_range": obj("DateRange", {"start": S(allow_null=True), "end": S(allow_null=True), "days": I()}),
        "daily_average": obj(
            "DailyAverage", {"spotify": RoundedField(), "apple": RoundedField(), "combined": RoundedField()}
        ),
    },
)
GROWTH_ROW = obj(
    "GrowthPeriod",
    {
        "period": S(),
        "spotify_streams": I(),
        "apple_streams": I(),
        "total_streams": I(),
        "growth": obj("GrowthPct", {"spotify": PctField(), "apple": PctField(), "total": PctField()}),
    },
)
GROWTH = many(GROWTH_ROW)
AUDIENCE_ROW = obj(
    "SpotifyAudienceRow",
    {
        "date": S(),
        "listeners": I(),
        "streams": I(),
        "followers": I(),
        "artist_id": S(allow_null=True),
        "artist_name": S(),
        "extracted_at": S(),
        "source_file": S(),
        "data_source": S(),
        "processed_at": S(),
    },
)
AUDIENCE = many(AUDIENCE_ROW)
SERIES_META = obj(
    "SeriesMeta",
    {
        "filters": serializers.DictField(),
        "source": S(),
        "granularity": S(),
        "row_count": I(),
        "last_updated": S(allow_null=True),
        "load_run_id": nullable_int(),
    },
)
STREAM_ROW = obj(
    "StreamRow",
    {
        "period": S(),
        "source": S(allow_null=True),
        "platform": S(allow_null=True),
        "artist": S(allow_null=True),
        "isrc": S(allow_null=True),
        "spotify_track_id": S(allow_null=True),
        "store": S(allow_null=True),
        "country": S(allow_null=True),
        "streams": nullable_int(),
        "listeners": nullable_int(),
        "followers": nullable_int(),
        "savers": nullable_int(),
    },
)
STREAMS = many(STREAM_ROW)


def nullable_str():
    return S(allow_null=True)


def series(child) -> serializers.ListField:
    """A named series of a B4/B5 body: present when it was asked for."""
    return serializers.ListField(child=copy.deepcopy(child), required=False)


REVENUE_ROW = obj(
    "RevenueRow",
    {
        "period": S(),
        **{name: nullable_str() for name in ("artist", "isrc", "platform", "store", "country")},
        "net_usd": UsdField(),
        "gross_usd": UsdField(),
        "adjustments_usd": UsdField(),
        "quantity": I(),
        "line_count": I(),
    },
)
EXPECTED_ROW = obj(
    "ExpectedRow",
    {"period": S(), "source": nullable_str(), "platform": nullable_str(), "streams": I(), "expected_usd": UsdField()},
)
EXPENSE_ROW = obj(
    "ExpenseRow", {"period": S(), "category": nullable_str(), "amount_usd": UsdField(), "line_count": I()}
)
AD_SPEND_ROW = obj(
    "AdSpendRow",
    {
        "period": S(),
        "artist": nullable_str(),
        "campaign_id": nullable_str(),
        "spend_usd": UsdField(),
        "impressions": I(),
        "clicks": I(),
    },
)
FINANCIAL = obj(
    "FinancialSeries",
    {
        "revenue": series(REVENUE_ROW),
        "expected": series(EXPECTED_ROW),
        "expenses": series(EXPENSE_ROW),
        "ad_spend": series(AD_SPEND_ROW),
    },
)
TIKTOK_ROW = obj(
    "TiktokRow",
    {
        "period": S(),
        "account": S(),
        "artist": nullable_str(),
        **{name: I() for name in ("video_views", "profile_views", "likes", "comments", "shares")},
        "engagement_rate": RatioField(),
        "followers": nullable_int(),
    },
)
LINKTREE_ROW = obj(
    "LinktreeRow",
    {
        "period": S(),
        "account": S(),
        **{name: I() for name in ("total_views", "unique_views", "total_clicks", "unique_clicks")},
        "click_through_ratio": RatioField(),
    },
)
SOCIAL = obj("SocialSeries", {"tiktok": series(TIKTOK_ROW), "linktree": series(LINKTREE_ROW)})
CAMPAIGN_PERIOD = obj(
    "CampaignPeriod", {"period": S(), "spend_usd": UsdField(), "impressions": I(), "clicks": I(), "reach": I()}
)
CAMPAIGN = obj(
    "Campaign",
    {
        "campaign_id": S(),
        "campaign_name": S(),
        "artist": S(allow_null=True),
        "track_title": S(allow_null=True),
        "isrc": S(allow_null=True),
        "targeting": S(allow_null=True),
        "is_copy": B(),
        "parse_status": S(),
        "objective": S(),
        "status": S(),
        "first_date": S(),
        "last_date": S(),
        "spend_usd": UsdField(),
        "impressions": I(),
        "clicks": I(),
        "reach": I(),
        "cpm_usd": UsdField(),
        "cpc_usd": UsdField(),
        "ctr_pct": PctField(),
        "data_basis": S(),
        "daily": series(CAMPAIGN_PERIOD),  # with include_daily
    },
)
CAMPAIGNS = many(CAMPAIGN)
FRESHNESS = mapping(
    obj(
        "Freshness",
        {
            "latest_data_date": nullable_str(),
            "last_loaded_at": nullable_str(),
            "last_file": nullable_str(),
            "stale": B(),
        },
    )
)
KPIS_STREAMING = obj(
    "KpisStreaming",
    {
        "total_streams_all_time": I(),
        "latest_day": obj("KpisLatestDay", {"date": nullable_str(), "spotify": I(), "apple": I(), "total": I()}),
        "last_7d": I(),
        "prev_7d": I(),
        "month_to_date": I(),
        "by_platform": obj("KpisByPlatform", {"spotify": I(), "apple_music": I()}),
        "by_source": mapping(I()),
        "royalty_streams_all_time": I(),
        "revenue_per_stream": RateField(),
        "top_tracks": many(
            obj(
                "TopTrack",
                {
                    "isrc": S(),
                    "title": nullable_str(),
                    "artist": nullable_str(),
                    "streams": I(),
                    "revenue_usd": UsdField(),
                },
            )
        ),
    },
)
KPIS_FINANCIAL = obj(
    "KpisFinancial",
    {
        "total_revenue_usd": UsdField(),
        "gross_revenue_usd": UsdField(),
        "adjustments_usd": UsdField(),
        "latest_sale_month": nullable_str(),
        "latest_month_revenue_usd": UsdField(),
        "mrr_usd": UsdField(),
        "expected_revenue_month_to_date_usd": UsdField(),
        "revenue_by_artist": mapping(UsdField()),
        "expenses_usd_all_time": UsdField(),
        "expenses_usd_last_30d": UsdField(),
        "ad_spend_usd_all_time": UsdField(),
    },
)
KPIS_SOCIAL = obj(
    "KpisSocial",
    {
        "tiktok": obj(
            "KpisTiktok",
            {"video_views_30d": I(), "engagement_rate_30d": RatioField(), "followers": mapping(nullable_int())},
        ),
        "linktree": obj("KpisLinktree", {"views_30d": I(), "clicks_30d": I(), "click_through_ratio_30d": RatioField()}),
        "spotify": obj(
            "KpisSpotify", {"followers": mapping(I()), "followers_total": I(), "listeners_latest": mapping(I())}
        ),
    },
)
KPIS_MARKETING = obj(
    "KpisMarketing",
    {
        "total_spend_usd": UsdField(),
        "spend_30d_usd": UsdField(),
        "impressions": I(),
        "clicks": I(),
        "ctr_pct": PctField(),
        "cpc_usd": UsdField(),
        "cpm_usd": UsdField(),
        "active_campaigns": I(),
    },
)
KPIS_GROWTH = obj(
    "KpisGrowth",
    {
        "streams_wow_pct": PctField(),
        "streams_mom_pct": PctField(),
        "revenue_mom_pct": PctField(),
        "spotify_followers_30d_change": I(),
    },
)
KPIS = obj(
    "Kpis",
    {
        "as_of": nullable_str(),
        "streaming": KPIS_STREAMING,
        "financial": KPIS_FINANCIAL,
        "social": KPIS_SOCIAL,
        "marketing": KPIS_MARKETING,
        "growth": KPIS_GROWTH,
        "goals": GOALS,
        "alerts": ALERTS,
        "freshness": FRESHNESS,
    },
)
HEALTH_SIMPLE = obj("HealthSimple", {"status": S(), "service": S()})
HEALTH = obj(
    "Health",
    {
        "success": B(),
        "data": obj("HealthData", {"status": S(), "checks": serializers.DictField()}),
        "metadata": obj("HealthMeta", {"generated_at": S()}),
    },
)
REFRESH_ACCEPTED = envelope("RefreshAccepted", obj("RefreshRun", {"load_run_id": I(), "status": S()}))
REFRESH_CONFLICT = OpenApiResponse(
    obj(
        "RefreshConflict",
        {"success": B(), "error": S(), "data": obj("RefreshBusy", {"load_run_id": I(), "status": S()})},
    ),
    description="a load run is already queued or running",
)
