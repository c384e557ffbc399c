"""The normalized schema of the BEDROT warehouse, one module per domain; every model is importable from here.

Table names follow `docs/contract/curated-zone.md` (royalty_line, distributor_daily_stream, …) so the
loader's SQL and the contract read the same. Money and ratios are FixedDecimalField (exact integers underneath).
Every fact row carries lineage: the load run and source file that last wrote it, and the file's physical line.
"""

from warehouse.models.access import ApiToken
from warehouse.models.facts import (
    AdAccountDaily,
    AdInsightWindow,
    AdPerformanceDaily,
    BusinessExpense,
    CampaignDaily,
    DistributorDailyStream,
    LinktreeDaily,
    SpotifyAudienceDaily,
    SpotifySongMetric,
    TiktokDaily,
)
from warehouse.models.lineage import LineageMixin, LoadRun, QuarantinedRow, SourceFile
from warehouse.models.master import (
    Artist,
    ArtistAlias,
    Campaign,
    CampaignToken,
    Country,
    Platform,
    SocialAccount,
    SpotifyTrack,
    StoreAlias,
    Track,
    TrackArtist,
)
from warehouse.models.royalties import (
    RoyaltyDelayAggregate,
    RoyaltyIsrcAggregate,
    RoyaltyLine,
    RoyaltyMonthlyAggregate,
)
from warehouse.models.validators import (
    ISRC_GLOB,
    ISRC_PATTERN,
    country_validator,
    isrc_validator,
    meta_id_validator,
    normalize_alias,
    normalize_isrc,
)

__all__ = [
    "ISRC_GLOB",
    "ISRC_PATTERN",
    "AdAccountDaily",
    "AdInsightWindow",
    "AdPerformanceDaily",
    "ApiToken",
    "Artist",
    "ArtistAlias",
    "BusinessExpense",
    "Campaign",
    "CampaignDaily",
    "CampaignToken",
    "Country",
    "DistributorDailyStream",
    "LineageMixin",
    "LinktreeDaily",
    "LoadRun",
    "Platform",
    "QuarantinedRow",
    "RoyaltyDelayAggregate",
    "RoyaltyIsrcAggregate",
    "RoyaltyLine",
    "RoyaltyMonthlyAggregate",
    "SocialAccount",
    "SourceFile",
    "SpotifyAudienceDaily",
    "SpotifySongMetric",
    "SpotifyTrack",
    "StoreAlias",
    "TiktokDaily",
    "Track",
    "TrackArtist",
    "country_validator",
    "isrc_validator",
    "meta_id_validator",
    "normalize_alias",
    "normalize_isrc",
]
