"""The curated kinds in the contract's load order (§1.1 "Order within a run"): dimensions before the facts that
reference them. Pandas-free on purpose: the web process validates `POST /api/refresh` kinds against it without
importing the loader (etl.sources registers exactly these; tests/etl check both lists agree)."""

KIND_ORDER = (
    "royalty_splits",
    "dk_bank_details",
    "spotify_tracks_dimension",
    "spotify_song_metrics",
    "tidy_daily_streams",
    "spotify_audience",
    "tiktok",
    "linktree",
    "meta_campaign_summary",
    "meta_campaigns_daily",
    "meta_daily_performance",
    "meta_ad_performance",
    "meta_performance_log",
    "meta_kpi_summary",
    "capital_one",
)
