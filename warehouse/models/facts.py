"""Daily facts from the curated zone other than royalties: distributor streams, Spotify, TikTok, Linktree, Meta ads
and the label's expenses. Each row carries its lineage (LineageMixin)."""

from django.db import models

from warehouse.fields import FixedDecimalField
from warehouse.models.lineage import LineageMixin
from warehouse.models.master import Artist, Campaign, SocialAccount, SpotifyTrack


class DistributorDailyStream(LineageMixin):
    """Account-level daily totals per distributor (tidy_daily_streams.csv). No artist, track or country."""

    class Source(models.TextChoices):
        DISTROKID = "distrokid", "DistroKid"
        TOOLOST = "toolost", "TooLost"

    date = models.DateField()
    source = models.CharField(max_length=10, choices=Source.choices)
    spotify_streams = models.PositiveBigIntegerField()
    apple_streams = models.PositiveBigIntegerField()
    combined_streams = models.PositiveBigIntegerField()
    is_partial = models.BooleanField(default=False)
    # Window as-of (contract §2.2): the last date of this source in the file whose counts the row holds. The
    # ranks order windows (as-of, then the file's name timestamp or mtime) per count column; a trailing zero
    # ranks below every real count, so the figures depend only on the set of files (etl/sources/tidy_daily_streams).
    as_of = models.DateField(null=True, blank=True, help_text="Last date of this source in the file that wrote it.")
    window_rank = models.BigIntegerField(default=0, db_default=0)
    spotify_rank = models.BigIntegerField(default=0, db_default=0)
    apple_rank = models.BigIntegerField(default=0, db_default=0)

    class Meta:
        db_table = "distributor_daily_stream"
        verbose_name = "distributor daily streams"
        verbose_name_plural = "distributor daily streams"
        ordering = ["date", "source"]
        constraints = [models.UniqueConstraint(fields=["date", "source"], name="distributor_daily_stream_key")]
        indexes = [models.Index(fields=["source", "date"])]


class SpotifyAudienceDaily(LineageMixin):
    artist = models.ForeignKey(Artist, on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    listeners = models.PositiveBigIntegerField()
    streams = models.PositiveBigIntegerField()
    followers = models.PositiveBigIntegerField(help_text="Running total: a level, never summed over days.")
    source_alias = models.CharField(max_length=100, help_text="artist_name as delivered (zone_a0, pig1987).")
    spotify_artist_id = models.CharField(max_length=40, blank=True, default="", help_text="As delivered.")
    extracted_at = models.CharField(max_length=40, blank=True, default="")
    processed_at = models.CharField(max_length=40, blank=True, default="")
    source_file_label = models.CharField(max_length=200, blank=True, default="", help_text="CSV column source_file.")
    data_source = models.CharField(max_length=40, default="spotify_audience")

    class Meta:
        db_table = "spotify_audience_daily"
        verbose_name = "Spotify audience day"
        verbose_name_plural = "Spotify audience by day"
        ordering = ["artist", "date"]
        constraints = [models.UniqueConstraint(fields=["artist", "date"], name="spotify_audience_daily_key")]


class SpotifySongMetric(LineageMixin):
    class TimePeriod(models.TextChoices):
        DAY = "1day", "1 day"
        WEEK = "7day", "7 days"
        MONTH = "28day", "28 days"
        YEAR = "1year", "1 year"
        ALL = "all", "all time"
        UNKNOWN = "unknown", "unknown"

    spotify_track = models.ForeignKey(SpotifyTrack, on_delete=models.PROTECT, related_name="metrics")
    spotify_artist_id = models.CharField(max_length=40)
    artist = models.ForeignKey(Artist, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    time_period = models.CharField(max_length=8, choices=TimePeriod.choices)
    extraction_date = models.DateField()
    streams = models.PositiveBigIntegerField()
    listeners = models.PositiveBigIntegerField()
    savers = models.PositiveBigIntegerField()
    canvas_views = models.PositiveBigIntegerField(null=True, blank=True)
    curated_at = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        db_table = "spotify_song_metric"
        verbose_name = "Spotify song figure"
        verbose_name_plural = "Spotify song figures"
        constraints = [
            models.UniqueConstraint(
                fields=["spotify_track", "spotify_artist_id", "time_period", "extraction_date"],
                name="spotify_song_metric_key",
            )
        ]


class TiktokDaily(LineageMixin):
    account = models.ForeignKey(SocialAccount, on_delete=models.PROTECT, related_name="tiktok_days")
    date = models.DateField()
    video_views = models.PositiveBigIntegerField()
    profile_views = models.PositiveBigIntegerField()
    likes = models.PositiveBigIntegerField()
    comments = models.PositiveBigIntegerField()
    shares = models.PositiveBigIntegerField()
    engagement_ratio = FixedDecimalField(help_text="(likes+comments+shares)/views as delivered: a 0–1 ratio.")
    followers_snapshot = models.PositiveBigIntegerField(null=True, blank=True, help_text="0 in the file → NULL.")
    new_followers = models.BigIntegerField(null=True, blank=True)

    class Meta:
        db_table = "tiktok_daily"
        verbose_name = "TikTok day"
        verbose_name_plural = "TikTok by day"
        ordering = ["account", "date"]
        constraints = [models.UniqueConstraint(fields=["account", "date"], name="tiktok_daily_key")]


class LinktreeDaily(LineageMixin):
    account = models.CharField(max_length=100, default="bedrotprod")
    date = models.DateField()
    total_views = models.PositiveBigIntegerField()
    unique_views = models.PositiveBigIntegerField()
    total_clicks = models.PositiveBigIntegerField()
    unique_clicks = models.PositiveBigIntegerField()
    click_through_ratio = FixedDecimalField(help_text="clicks / views; can exceed 1.")

    class Meta:
        db_table = "linktree_daily"
        verbose_name = "Linktree day"
        verbose_name_plural = "Linktree by day"
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["account", "date"], name="linktree_daily_key")]


class AdAccountDaily(LineageMixin):
    """Meta daily_performance: the whole ad account per date. Reconciliation only, never added to campaigns."""

    date = models.DateField(unique=True)
    spend_usd = FixedDecimalField()
    impressions = models.PositiveBigIntegerField()
    clicks = models.PositiveBigIntegerField()
    reach = models.PositiveBigIntegerField()
    cpm_usd = FixedDecimalField(null=True, blank=True)
    cpc_usd = FixedDecimalField(null=True, blank=True)
    ctr_pct = FixedDecimalField(null=True, blank=True)

    class Meta:
        db_table = "ad_account_daily"
        verbose_name = "Meta ad account day"
        verbose_name_plural = "Meta ad account by day"
        ordering = ["date"]


class AdPerformanceDaily(LineageMixin):
    """Meta ad_performance, the finest grain: (date, campaign, ad set, ad)."""

    date = models.DateField()
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="ad_days")
    adset_id = models.CharField(max_length=20, blank=True, default="")
    adset_name = models.CharField(max_length=300, blank=True, default="")
    ad_name = models.CharField(max_length=300, blank=True, default="")
    spend_usd = FixedDecimalField()
    impressions = models.PositiveBigIntegerField()
    clicks = models.PositiveBigIntegerField()
    reach = models.PositiveBigIntegerField(null=True, blank=True)
    cpm_usd = FixedDecimalField(null=True, blank=True)
    cpc_usd = FixedDecimalField(null=True, blank=True)
    ctr_pct = FixedDecimalField(null=True, blank=True)
    quality_ranking = models.CharField(max_length=40, blank=True, default="")
    engagement_ranking = models.CharField(max_length=40, blank=True, default="")
    conversion_ranking = models.CharField(max_length=40, blank=True, default="")
    pixel_view_content = models.PositiveBigIntegerField(default=0)
    pixel_purchase = models.PositiveBigIntegerField(default=0)
    pixel_add_to_cart = models.PositiveBigIntegerField(default=0)
    pixel_link_click = models.PositiveBigIntegerField(default=0)
    superseded = models.BooleanField(  # db_default: the loader's merge SQL inserts rows unmarked
        default=False,
        db_default=False,
        help_text="A campaign-level roll-up (or ad-set row) with finer rows for the same date and "
        "campaign (or ad set): stored, never summed (contract §2.7 levels).",
    )

    class Meta:
        db_table = "ad_performance_daily"
        verbose_name = "Meta ad day"
        verbose_name_plural = "Meta ads by day"
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["date", "campaign", "adset_id", "ad_name"], name="ad_performance_daily_key")
        ]
        indexes = [models.Index(fields=["campaign", "date"])]


class AdInsightWindow(LineageMixin):
    """Meta v1 export: lifetime windows per ad set. Never spread over days, never added to daily facts."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="windows")
    adset_id = models.CharField(max_length=20)
    adset_name = models.CharField(max_length=300, blank=True, default="")
    date_start = models.DateField()
    date_stop = models.DateField()
    spend_usd = FixedDecimalField()
    impressions = models.PositiveBigIntegerField()
    clicks = models.PositiveBigIntegerField()
    reach = models.PositiveBigIntegerField(null=True, blank=True)
    frequency = FixedDecimalField(null=True, blank=True)
    cpc_usd = FixedDecimalField(null=True, blank=True)
    ctr_pct = FixedDecimalField(null=True, blank=True)

    class Meta:
        db_table = "ad_insight_window"
        verbose_name = "Meta ad window"
        verbose_name_plural = "Meta ad windows"
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "adset_id", "date_start", "date_stop"], name="ad_insight_window_key"
            )
        ]


class CampaignDaily(LineageMixin):
    """metaads_campaigns_performance_log.csv: one row per (date, campaign)."""

    date = models.DateField()
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="days")
    spend_usd = FixedDecimalField()
    impressions = models.PositiveBigIntegerField()
    clicks = models.PositiveBigIntegerField()
    reach = models.PositiveBigIntegerField(null=True, blank=True)
    cpc_usd = FixedDecimalField(null=True, blank=True)
    pixel_events = models.JSONField(null=True, blank=True)

    class Meta:
        db_table = "campaign_daily"
        verbose_name = "campaign day"
        verbose_name_plural = "campaigns by day"
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["date", "campaign"], name="campaign_daily_key")]


class BusinessExpense(LineageMixin):
    """Label expenses (Capital One). Refunds are negative. Expenses are never revenue."""

    source = models.CharField(max_length=20, default="capital_one")
    date = models.DateField()
    description = models.CharField(max_length=500, blank=True, default="")
    amount_usd = FixedDecimalField()
    category = models.CharField(max_length=100, default="Business Expense")
    status = models.CharField(max_length=40, default="Posted")
    card_last4 = models.CharField(max_length=4, blank=True, default="")
    row_hash = models.CharField(max_length=64)
    occurrence = models.PositiveIntegerField()

    class Meta:
        db_table = "business_expense"
        verbose_name = "business expense"
        verbose_name_plural = "business expenses"
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["source", "row_hash", "occurrence"], name="business_expense_identity")
        ]
        indexes = [models.Index(fields=["date"])]
