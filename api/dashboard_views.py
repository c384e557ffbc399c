"""The two endpoints the warehouse's own page added (docs/API.md "Page endpoints"): per-source lineage and
campaigns next to the account's streams. Thin, cached per load run like every dashboard view."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from api import serializers as s
from api.fields import PctField, UsdField
from api.views import DashboardView, _cached
from dashboard import selectors
from warehouse import clock

KIND_COUNTS = s.obj("KindCounts", {"files": s.I(), "files_rejected": s.I(), "rows_quarantined": s.I()})
SOURCE_HEALTH = s.obj(
    "SourceHealth",
    {
        "latest_data_date": s.S(allow_null=True),
        "last_loaded_at": s.S(allow_null=True),
        "last_file": s.S(allow_null=True),
        "stale": s.B(),
        "files_rejected": s.I(),
        "rows_quarantined": s.I(),
        "kinds": s.mapping(KIND_COUNTS),
    },
)
CAMPAIGN_STREAMS = s.obj(
    "CampaignStreams",
    {
        "campaign_id": s.S(),
        "campaign_name": s.S(),
        "artist": s.S(allow_null=True),
        "track_title": s.S(allow_null=True),
        "status": s.S(),
        "first_date": s.S(),
        "last_date": s.S(),
        "spend_usd": UsdField(),
        "impressions": s.I(),
        "clicks": s.I(),
        "cpc_usd": UsdField(),
        "ctr_pct": PctField(),
        "data_basis": s.S(),
        "window_days": s.I(),
        "streams_during": s.I(),
        "days_with_streams_during": s.I(),
        "before_start": s.S(),
        "before_end": s.S(),
        "streams_before": s.I(),
        "days_with_streams_before": s.I(),
        "streams_change_pct": PctField(allow_null=True),
    },
)
SOURCES = s.mapping(SOURCE_HEALTH)
CAMPAIGN_STREAMS_LIST = s.many(CAMPAIGN_STREAMS)


class SourcesView(DashboardView):
    @extend_schema(
        responses={
            200: s.envelope("SourcesResponse", SOURCES, serializers.DictField()),
            **s.ERROR_RESPONSES,
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
            200: s.envelope("CampaignStreamsResponse", CAMPAIGN_STREAMS_LIST, serializers.DictField()),
            **s.ERROR_RESPONSES,
        },
        summary="Meta campaigns with the account's streams in their window and the same length before",
    )
    def get(self, request):
        return self.envelope(
            _cached(request, "campaigns/streams", selectors.campaign_streams_list, body=CAMPAIGN_STREAMS_LIST)
        )
