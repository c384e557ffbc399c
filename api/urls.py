"""Every path answers with and without the trailing slash and never redirects (contract §1; APPEND_SLASH off)."""

from django.urls import include, re_path
from rest_framework.routers import SimpleRouter

from api import dashboard_views, exceptions, views
from statements import api as statements_api


class OptionalSlashRouter(SimpleRouter):
    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"  # DRF only offers "/" or ""; the contract wants both


router = OptionalSlashRouter()
router.register("artists", views.ArtistViewSet, basename="artist")
router.register("tracks", views.TrackViewSet, basename="track")
router.register("platforms", views.PlatformViewSet, basename="platform")
router.register("loads", views.LoadRunViewSet, basename="loadrun")


def _route(path: str, view, name: str):
    return re_path(rf"^{path}/?$", view.as_view(), name=name)


urlpatterns = [
    _route("health", views.HealthView, "health"),
    _route("api/health", views.ApiHealthView, "api-health"),
    # Part A: the existing dashboard's endpoints
    _route("api/kpis/summary", views.KpiSummaryView, "kpis-summary"),
    _route("api/kpis/realtime", views.KpiRealtimeView, "kpis-realtime"),
    _route("api/kpis/goals", views.KpiGoalsView, "kpis-goals"),
    _route("api/kpis/alerts", views.KpiAlertsView, "kpis-alerts"),
    _route("api/revenue/distributor", views.RevenueDistributorView, "revenue-distributor"),
    _route("api/revenue/monthly", views.RevenueMonthlyView, "revenue-monthly"),
    _route("api/revenue/platform", views.RevenuePlatformView, "revenue-platform"),
    _route("api/revenue/artist", views.RevenueArtistView, "revenue-artist"),
    _route("api/revenue/delays", views.RevenueDelaysView, "revenue-delays"),
    _route("api/revenue/rps-rates", views.RevenueRatesView, "revenue-rps-rates"),
    _route("api/streaming/daily", views.StreamingDailyView, "streaming-daily"),
    _route("api/streaming/summary", views.StreamingSummaryView, "streaming-summary"),
    _route("api/streaming/growth", views.StreamingGrowthView, "streaming-growth"),
    _route("api/streaming/spotify-audience", views.SpotifyAudienceView, "streaming-spotify-audience"),
    # Part B: the warehouse's own endpoints
    _route("api/kpis", views.KpisView, "kpis"),
    _route("api/streaming", views.StreamingSeriesView, "streaming"),
    _route("api/financial", views.FinancialView, "financial"),
    _route("api/social", views.SocialView, "social"),
    _route("api/campaigns", views.CampaignsView, "campaigns"),
    _route("api/refresh", views.RefreshView, "refresh"),
    _route("api/statements", statements_api.StatementListView, "statements"),
    re_path(r"^api/statements/(?P<pk>[0-9]{1,18})/?$", statements_api.StatementDetailView.as_view(), name="statement"),
    # The warehouse's own page (dashboard/): figures no endpoint above served
    _route("api/sources", dashboard_views.SourcesView, "sources"),
    _route("api/campaigns/streams", dashboard_views.CampaignStreamsView, "campaign-streams"),
    # OpenAPI and Swagger UI (offline assets from drf-spectacular-sidecar)
    _route("api/schema", views.SchemaView, "schema"),
    re_path(r"^api/docs/?$", views.SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    re_path(r"^api/", include(router.urls)),
    # Anything else under /api/ is the JSON 404 envelope, also with DEBUG on (Django's debug 404 lists every URL)
    re_path(r"^api/", exceptions.not_found, name="api-not-found"),
]
