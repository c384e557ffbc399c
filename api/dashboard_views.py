"""The two endpoints the warehouse's own page added (docs/API.md "Page endpoints"): per-source lineage and
campaigns next to the account's streams. Thin, cached per load run like every dashboard view."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from api import bodies as b
from api.fields import PctField, UsdField
from api.views import DashboardView, _cached
from dashboard import selectors
from warehouse import clock

KIND_COUNTS = b.obj("KindCounts", {"files": b.I(), "files_rejected": b.I(), "rows_quarantined": b.I()})
SOURCE_HEALTH = b.obj(
    "SourceHealth",
    {
        "latest_data_date": b.S(allow_null=True),
        "last_loaded_at": b.S(allow_null=True),
        "last_file": b.S(allow_null=True),
        "stale": b.B(),
        "files_rejected": b.I(),
        "rows_quarantined": b.I(),
        "kinds": b.mapping(KIND_COUNTS),
    },
)
CAMPAIGN_STREAMS = b.obj(
    "CampaignStreams",
    {
        "campaign_id": b.S(),
        "campaign_name": b.S(),
        "artist": b.S(allow_null=True),
        "track_title": b.S(allow_null=True),
        "status": b.S(),
        "first_date": b.S(),
        "last_date": b.S(),
        "spend_usd": UsdField(),
        "impressions": b.I(),
        "clicks": b.I(),
        "cpc_usd": UsdField(),
        "ctr_pct": PctField(),
        "data_basis": b.S(),
        "window_days": b.I(),
        "streams_during": b.I(),
        "days_with_streams_during": b.I(),
        "before_start": b.S(),
        "before_end": b.S(),
        "streams_before": b.I(),
        "days_with_streams_before": b.I(),
        "streams_change_pct": PctField(allow_null=True),
    },
)
SOURCES = b.mapping(SOURCE_HEALTH)
CAMPAIGN_STREAMS_LIST = b.many(CAMPAIGN_STREAMS)


class SourcesView(DashboardView):
    @extend_schema(
        responses={
            200: b.envelope("SourcesResponse", SOURCES, serializers.DictField()),
            **b.ERROR_RESPONSES,
        },
        summary="Per source: freshness (B2), rejected files and quarantined rows",
    )
    def get(self, request):
        today = clock.today()
        return self.envelope(
            _cached(request, "sources", lambda: selectors.source_health_list(today=today), today=today, body=SOURCES)
        )


class CampaignStreamsView(DashboardView):
    @extend_schema(
        responses={
            200: b.envelope("CampaignStreamsResponse", CAMPAIGN_STREAMS_LIST, serializers.DictField()),
            **b.ERROR_RESPONSES,
        },
        summary="Meta campaigns with the account's streams in their window and the same length before",
    )
    def get(self, request):
        return self.envelope(
            _cached(request, "campaigns/streams", selectors.campaign_streams_list, body=CAMPAIGN_STREAMS_LIST)
        )
