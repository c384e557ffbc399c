"""Reads: every figure the API, the websocket and the admin serve is computed here, from the warehouse tables.

One module per domain (docs/API.md lists them); callers use `from warehouse import selectors` and the names
re-exported below. Functions that depend on "today" take it as a keyword so tests are deterministic; the API
passes `clock.today()`.
"""

from warehouse.selectors.common import BadParameter, NoData, change_pct, ts
from warehouse.selectors.distributor import streaming_latest_complete_date_get
from warehouse.selectors.freshness import FRESHNESS_KINDS, FRESHNESS_SOURCES, freshness_get
from warehouse.selectors.kpi_cards import kpi_alerts_list, kpi_goals_get, kpi_realtime_get, kpi_summary_get
from warehouse.selectors.kpis import kpis_get
from warehouse.selectors.loads import (
    Stamp,
    artist_list,
    artist_resolve,
    load_run_last_get,
    load_run_list,
    platform_list,
    track_list,
)
from warehouse.selectors.meta import campaign_list, meta_facts_get
from warehouse.selectors.revenue import (
    revenue_artist_get,
    revenue_delays_get,
    revenue_distributor_get,
    revenue_monthly_list,
    revenue_platform_get,
    revenue_rps_rates_get,
)
from warehouse.selectors.review_queue import CAMPAIGN_REVIEW_STATUSES, unmatched_name_list
from warehouse.selectors.royalty import royalty_top_tracks_list
from warehouse.selectors.series import GRANULARITIES, SeriesFilters
from warehouse.selectors.series_financial import FINANCIAL_SERIES, financial_series_get
from warehouse.selectors.series_streaming import STREAM_SOURCES, streaming_series_list
from warehouse.selectors.social import SOCIAL_PLATFORMS, social_series_get
from warehouse.selectors.streaming import (
    GROWTH_PERIODS,
    spotify_audience_list,
    streaming_daily_list,
    streaming_growth_list,
    streaming_summary_get,
)

__all__ = [
    "CAMPAIGN_REVIEW_STATUSES",
    "FINANCIAL_SERIES",
    "FRESHNESS_KINDS",
    "FRESHNESS_SOURCES",
    "GRANULARITIES",
    "GROWTH_PERIODS",
    "SOCIAL_PLATFORMS",
    "STREAM_SOURCES",
    "BadParameter",
    "NoData",
    "SeriesFilters",
    "Stamp",
    "artist_list",
    "artist_resolve",
    "campaign_list",
    "change_pct",
    "financial_series_get",
    "freshness_get",
    "kpi_alerts_list",
    "kpi_goals_get",
    "kpi_realtime_get",
    "kpi_summary_get",
    "kpis_get",
    "load_run_last_get",
    "load_run_list",
    "meta_facts_get",
    "platform_list",
    "revenue_artist_get",
    "revenue_delays_get",
    "revenue_distributor_get",
    "revenue_monthly_list",
    "revenue_platform_get",
    "revenue_rps_rates_get",
    "royalty_top_tracks_list",
    "social_series_get",
    "spotify_audience_list",
    "streaming_daily_list",
    "streaming_growth_list",
    "streaming_latest_complete_date_get",
    "streaming_series_list",
    "streaming_summary_get",
    "track_list",
    "ts",
    "unmatched_name_list",
]
