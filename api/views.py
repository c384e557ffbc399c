"""Thin views: validate parameters (api/filters.py), call a selector, wrap the result in the envelope.

Every dashboard response is cached under a key that includes the latest finished load run (contract §1), so a
committed load shows on the next poll; errors are shaped by api/exceptions.py.
"""

from django.contrib.auth.views import redirect_to_login
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import mixins, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from api import bodies as b
from api import filters
from api import serializers as s
from api.authentication import TokenAuthentication
from api.fields import shape
from api.health import database_check, health_report
from api.permissions import CanRefresh, DashboardReadPermission
from api.throttling import ThrottledViewMixin
from warehouse import clock, selectors, services
from warehouse.cache import response_cache_get_or_compute


def _cached(request, name: str, compute, *, body, today=None):
    """Run `compute` once per (endpoint, parameters, load run, today) for API_CACHE_SECONDS (warehouse/cache.py).

    `compute` returns (data, metadata); `data` is shaped for the wire by `body`, its documented description
    (api/bodies.py), before it is cached."""

    def shaped():
        data, metadata = compute()
        return shape(body, data), metadata

    params = "&".join(f"{k}={v}" for k, values in sorted(request.query_params.lists()) for v in values)
    return response_cache_get_or_compute(name=name, params=f"{params}|{today}", compute=shaped)


def _params(filterset) -> list[OpenApiParameter]:
    """OpenAPI parameters from a validation FilterSet (names, enums)."""
    result = []
    for name, flt in filterset.base_filters.items():
        choices = flt.extra.get("choices")
        if hasattr(flt, "queryset") and name == "platform":
            choices = [(slug, slug) for slug in filters.SERIES_PLATFORMS]
        result.append(
            OpenApiParameter(name, OpenApiTypes.STR, required=False, enum=[c[0] for c in choices] if choices else None)
        )
    return result


class DashboardView(ThrottledViewMixin, APIView):
    """Token first, so an anonymous request gets 401 with `WWW-Authenticate: Token` (session auth alone says 403)."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [DashboardReadPermission]
    public_read = True  # API_PUBLIC_READ may open it to anonymous GETs

    @staticmethod
    def envelope(result) -> Response:
        data, metadata = result
        return Response({"success": True, "data": data, "metadata": metadata})


# --- Part A ------------------------------------------------------------------------------------------------------


class HealthView(ThrottledViewMixin, APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: b.HEALTH_SIMPLE, 503: b.HEALTH_SIMPLE}, summary="A1 liveness (no envelope)")
    def get(self, request):
        ok = selectors_database_ok()
        body = {"status": "healthy" if ok else "unhealthy", "service": "dashboard-backend"}
        return Response(body, status=200 if ok else 503)


def selectors_database_ok() -> bool:
    return database_check()["ok"]


class ApiHealthView(ThrottledViewMixin, APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses={200: b.HEALTH, 503: b.HEALTH}, summary="B7 health: database, channel layer, freshness")
    def get(self, request):
        body, code = health_report()
        return Response(body, status=code)


class KpiSummaryView(DashboardView):
    @extend_schema(
        responses={200: b.envelope("KpiSummaryResponse", b.KPI_SUMMARY, b.KPI_SUMMARY_META), **b.ERROR_RESPONSES},
        summary="A2 KPI cards",
    )
    def get(self, request):
        return self.envelope(_cached(request, "kpis/summary", selectors.kpi_summary_get, body=b.KPI_SUMMARY))


class KpiRealtimeView(DashboardView):
    @extend_schema(
        responses={200: b.soft("KpiRealtimeResponse", b.KPI_REALTIME), **b.ERROR_RESPONSES},
        summary="A3 latest complete day vs the day before",
    )
    def get(self, request):
        return self.envelope(_cached(request, "kpis/realtime", selectors.kpi_realtime_get, body=b.KPI_REALTIME))


class KpiGoalsView(DashboardView):
    @extend_schema(responses={200: b.envelope("KpiGoalsResponse", b.GOALS), **b.ERROR_RESPONSES}, summary="A4 goals")
    def get(self, request):
        return self.envelope(_cached(request, "kpis/goals", selectors.kpi_goals_get, body=b.GOALS))


class KpiAlertsView(DashboardView):
    @extend_schema(
        responses={200: b.envelope("KpiAlertsResponse", b.ALERTS), **b.ERROR_RESPONSES},
        summary="A5 alerts",
    )
    def get(self, request):
        def compute():
            stamp = selectors.Stamp.get()
            alerts = selectors.kpi_alerts_list(timestamp=stamp.last_updated)
            return alerts, {"last_updated": stamp.last_updated, "alert_count": len(alerts)}

        return self.envelope(_cached(request, "kpis/alerts", compute, body=b.ALERTS))


class RevenueDistributorView(DashboardView):
    @extend_schema(
        responses={
            200: b.envelope(
                "RevenueDistributorResponse",
                b.DISTRIBUTORS,
            ),
            **b.ERROR_RESPONSES,
        },
        summary="A6 estimated revenue per distributor",
    )
    def get(self, request):
        return self.envelope(
            _cached(request, "revenue/distributor", selectors.revenue_distributor_get, body=b.DISTRIBUTORS)
        )


class RevenueMonthlyView(DashboardView):
    @extend_schema(
        parameters=_params(filters.MonthlyRevenueParams),
        responses={200: b.envelope("RevenueMonthlyResponse", b.MONTHLY), **b.ERROR_RESPONSES},
        summary="A7 actual vs expected revenue per month",
    )
    def get(self, request):
        params = filters.MonthlyRevenueParams.params(request.query_params)
        today = clock.today()
        include_expected = params.get("include_expected")
        return self.envelope(
            _cached(
                request,
                "revenue/monthly",
                lambda: selectors.revenue_monthly_list(
                    today=today,
                    include_expected=True if include_expected is None else include_expected,
                    months=params.get("months"),
                ),
                today=today,
                body=b.MONTHLY,
            )
        )


class RevenuePlatformView(DashboardView):
    @extend_schema(
        responses={200: b.envelope("RevenuePlatformResponse", b.PLATFORMS), **b.ERROR_RESPONSES},
        summary="A8 revenue by DistroKid store",
    )
    def get(self, request):
        return self.envelope(_cached(request, "revenue/platform", selectors.revenue_platform_get, body=b.PLATFORMS))


class RevenueArtistView(DashboardView):
    @extend_schema(
        responses={200: b.envelope("RevenueArtistResponse", b.ARTISTS), **b.ERROR_RESPONSES},
        summary="A8 revenue by artist",
    )
    def get(self, request):
        return self.envelope(_cached(request, "revenue/artist", selectors.revenue_artist_get, body=b.ARTISTS))


class RevenueDelaysView(DashboardView):
    @extend_schema(
        responses={200: b.envelope("RevenueDelaysResponse", b.DELAYS), **b.ERROR_RESPONSES},
        summary="A9 reporting delays",
    )
    def get(self, request):
        return self.envelope(_cached(request, "revenue/delays", selectors.revenue_delays_get, body=b.DELAYS))


class RevenueRatesView(DashboardView):
    @extend_schema(
        responses={200: b.envelope("RevenueRatesResponse", b.RATES), **b.ERROR_RESPONSES},
        summary="A10 per-stream rates",
    )
    def get(self, request):
        data, metadata = selectors.revenue_rps_rates_get()
        return self.envelope((shape(b.RATES, data), metadata))


class StreamingDailyView(DashboardView):
    @extend_schema(
        parameters=_params(filters.DailyStreamsParams),
        responses={200: b.envelope("StreamingDailyResponse", b.DAILY), **b.ERROR_RESPONSES},
        summary="A11 daily distributor streams",
    )
    def get(self, request):
        params = filters.DailyStreamsParams.params(request.query_params)
        return self.envelope(
            _cached(
                request,
                "streaming/daily",
                lambda: selectors.streaming_daily_list(
                    days=params.get("days") or 30,
                    source=params.get("source") or None,
                    include_partial=bool(params.get("include_partial")),
                ),
                body=b.DAILY,
            )
        )


class StreamingSummaryView(DashboardView):
    @extend_schema(
        responses={200: b.envelope("StreamingSummaryResponse", b.STREAMING_SUMMARY), **b.ERROR_RESPONSES},
        summary="A12 distributor stream totals",
    )
    def get(self, request):
        return self.envelope(
            _cached(request, "streaming/summary", selectors.streaming_summary_get, body=b.STREAMING_SUMMARY)
        )


class StreamingGrowthView(DashboardView):
    @extend_schema(
        parameters=_params(filters.GrowthParams),
        responses={200: b.soft("StreamingGrowthResponse", b.GROWTH), **b.ERROR_RESPONSES},
        summary="A13 growth per period",
    )
    def get(self, request):
        period = filters.GrowthParams.params(request.query_params).get("period") or "monthly"
        return self.envelope(
            _cached(request, "streaming/growth", lambda: selectors.streaming_growth_list(period=period), body=b.GROWTH)
        )


class SpotifyAudienceView(DashboardView):
    @extend_schema(
        parameters=_params(filters.AudienceParams),
        responses={200: b.soft("SpotifyAudienceResponse", b.AUDIENCE), **b.ERROR_RESPONSES},
        summary="A14 Spotify audience rows",
    )
    def get(self, request):
        p = filters.AudienceParams.params(request.query_params)
        return self.envelope(
            _cached(
                request,
                "streaming/spotify-audience",
                lambda: selectors.spotify_audience_list(artist=p.get("artist"), start=p.get("start"), end=p.get("end")),
                body=b.AUDIENCE,
            )
        )


# --- Part B ------------------------------------------------------------------------------------------------------


class KpisView(DashboardView):
    @extend_schema(
        responses={
            200: b.envelope(
                "KpisResponse",
                b.KPIS,
                b.obj(
                    "KpisMeta",
                    {"load_run_id": b.nullable_int(), "generated_at": b.S(), "last_updated": b.S(allow_null=True)},
                ),
            ),
            **b.ERROR_RESPONSES,
        },
        summary="B2 every KPI in one object (the websocket update payload)",
    )
    def get(self, request):
        today = clock.today()

        def compute():
            stamp = selectors.Stamp.get()
            data = selectors.kpis_get(today=today)
            meta = {
                "load_run_id": stamp.load_run_id,
                "generated_at": selectors.ts(timezone.now()),
                "last_updated": stamp.last_updated,
            }
            return data, meta

        return self.envelope(_cached(request, "kpis", compute, today=today, body=b.KPIS))


class StreamingSeriesView(DashboardView):
    @extend_schema(
        parameters=_params(filters.StreamingParams),
        responses={
            200: b.envelope("StreamingSeriesResponse", b.STREAMS, b.SERIES_META),
            **b.ERROR_RESPONSES,
        },
        summary="B3 stream time series (one measure per request)",
    )
    def get(self, request):
        series_filters, p = filters.StreamingParams.filters_from(request.query_params)
        return self.envelope(
            _cached(
                request,
                "streaming",
                lambda: selectors.streaming_series_list(
                    filters=series_filters,
                    source=p.get("source") or "distributor",
                    time_period=p.get("time_period") or None,
                ),
                body=b.STREAMS,
            )
        )


class FinancialView(DashboardView):
    @extend_schema(
        parameters=_params(filters.FinancialParams),
        responses={200: b.envelope("FinancialResponse", b.FINANCIAL, b.SERIES_META), **b.ERROR_RESPONSES},
        summary="B4 money time series",
    )
    def get(self, request):
        series_filters, p = filters.FinancialParams.filters_from(request.query_params)
        return self.envelope(
            _cached(
                request,
                "financial",
                lambda: selectors.financial_series_get(
                    filters=series_filters,
                    series=p.get("series") or ["revenue"],
                    basis=p.get("basis") or "sale_month",
                ),
                body=b.FINANCIAL,
            )
        )


class SocialView(DashboardView):
    @extend_schema(
        parameters=_params(filters.SocialParams),
        responses={200: b.envelope("SocialResponse", b.SOCIAL, b.SERIES_META), **b.ERROR_RESPONSES},
        summary="B5 TikTok and Linktree series",
    )
    def get(self, request):
        series_filters, p = filters.SocialParams.filters_from(request.query_params)
        series_filters.platform = None  # B5's `platform` picks the social network, not a streaming platform
        platforms = [p["platform"]] if p.get("platform") else list(selectors.SOCIAL_PLATFORMS)
        return self.envelope(
            _cached(
                request,
                "social",
                lambda: selectors.social_series_get(
                    filters=series_filters,
                    platforms=platforms,
                    account=p.get("account") or None,
                ),
                body=b.SOCIAL,
            )
        )


class CampaignsView(DashboardView):
    @extend_schema(
        parameters=_params(filters.CampaignParams),
        responses={200: b.envelope("CampaignsResponse", b.CAMPAIGNS), **b.ERROR_RESPONSES},
        summary="B6 Meta campaigns with totals",
    )
    def get(self, request):
        p = filters.CampaignParams.params(request.query_params)
        return self.envelope(
            _cached(
                request,
                "campaigns",
                lambda: selectors.campaign_list(
                    start=p.get("start"),
                    end=p.get("end"),
                    artist=p.get("artist"),
                    isrc=p.get("isrc"),
                    status=p.get("status") or None,
                    include_daily=bool(p.get("include_daily")),
                    granularity=p.get("granularity") or "day",
                ),
                body=b.CAMPAIGNS,
            )
        )


class RefreshView(ThrottledViewMixin, APIView):
    authentication_classes = [TokenAuthentication, SessionAuthentication]  # session auth enforces CSRF
    permission_classes = [CanRefresh]

    @extend_schema(
        request=s.RefreshRequestSerializer,
        responses={202: b.REFRESH_ACCEPTED, 409: b.REFRESH_CONFLICT, **b.ERROR_RESPONSES},
        summary="B8 queue a load of the curated zone (staff)",
    )
    def post(self, request):
        body = s.RefreshRequestSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        try:
            run = services.load_run_enqueue(
                trigger="api",
                requested_by=request.user,
                kinds=body.validated_data.get("kinds"),
                force=body.validated_data["force"],
                dry_run=body.validated_data["dry_run"],
            )
        except services.LoadRunConflict as conflict:
            return Response(
                {
                    "success": False,
                    "error": str(conflict),
                    "data": {"load_run_id": conflict.run.pk, "status": conflict.run.status},
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(
            {
                "success": True,
                "data": {"load_run_id": run.pk, "status": run.status},
                "metadata": {
                    "requested_by": request.user.get_username(),
                    "options": {k: run.options.get(k) for k in ("kinds", "force", "dry_run")},
                    "created_at": selectors.ts(run.created_at),
                    "progress_url": f"/api/loads/{run.pk}",
                },
            },
            status=status.HTTP_202_ACCEPTED,
        )


# --- OpenAPI schema and Swagger UI --------------------------------------------------------------------------------


class JsonErrorsMixin:
    """Errors in the JSON envelope (contract §1) even where the success body is YAML or HTML."""

    def handle_exception(self, exc):
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)


class SchemaView(JsonErrorsMixin, SpectacularAPIView):
    pass


class SwaggerView(JsonErrorsMixin, SpectacularSwaggerSplitView):
    """The init script as its own request (`?script`) and the page's styles as a file (api/templates/api/swagger_ui.html):
    the Content-Security-Policy (bedrot_site/middleware.py) forbids inline code and styles."""

    template_name = "api/swagger_ui.html"

    def handle_exception(self, exc):
        # A browser (it asks for HTML) goes to the login page and comes back; scripts keep the JSON 401.
        if isinstance(exc, NotAuthenticated) and "text/html" in self.request.headers.get("Accept", ""):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)


# --- Read-only resources -------------------------------------------------------------------------------------------


class ResourceViewSet(ThrottledViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Authenticated only (API_PUBLIC_READ does not open them)."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [DashboardReadPermission]
    public_read = False

    def retrieve(self, request, *args, **kwargs):
        return Response({"success": True, "data": self.get_serializer(self.get_object()).data, "metadata": {}})


def _retrieve_schema(name: str, serializer_class):
    """GET /api/<resource>/{id}: one row in the envelope (the list is paginated in it too)."""
    return extend_schema(responses={200: b.envelope(name, serializer_class())})


@extend_schema_view(retrieve=_retrieve_schema("ArtistResponse", s.ArtistSerializer))
class ArtistViewSet(ResourceViewSet):
    serializer_class = s.ArtistSerializer
    filterset_class = filters.ArtistFilterSet

    def get_queryset(self):
        return selectors.artist_list().prefetch_related("aliases").order_by("name")


@extend_schema_view(retrieve=_retrieve_schema("TrackResponse", s.TrackSerializer))
class TrackViewSet(ResourceViewSet):
    serializer_class = s.TrackSerializer
    filterset_class = filters.TrackFilterSet

    def get_queryset(self):
        return selectors.track_list().order_by("isrc")


@extend_schema_view(retrieve=_retrieve_schema("PlatformResponse", s.PlatformSerializer))
class PlatformViewSet(ResourceViewSet):
    serializer_class = s.PlatformSerializer
    filterset_class = filters.PlatformFilterSet

    def get_queryset(self):
        return selectors.platform_list().order_by("name")


@extend_schema_view(retrieve=_retrieve_schema("LoadRunResponse", s.LoadRunSerializer))
class LoadRunViewSet(ResourceViewSet):
    """Runs with their files and quarantine counts; GET /api/loads/{id} shows a run's progress."""

    filterset_class = filters.LoadRunFilterSet

    def get_queryset(self):
        return selectors.load_run_list().order_by("-id")

    def get_serializer_class(self):
        return s.LoadRunSerializer if self.action == "retrieve" else s.LoadRunSummarySerializer
