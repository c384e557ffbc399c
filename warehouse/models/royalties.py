"""DistroKid royalty lines and the aggregates derived from them (maintained by warehouse.services.facts_changed
inside each load's transaction)."""

from django.db import models
from django.db.models import Q

from warehouse.fields import FixedDecimalField
from warehouse.models.lineage import LineageMixin, SourceFile
from warehouse.models.master import Artist, Country, Platform, Track


class RoyaltyLine(LineageMixin):
    """One DistroKid bank-details line. The snapshot diff retracts lines instead of deleting them."""

    reporting_date = models.DateField()
    sale_month = models.DateField(help_text="First day of the Sale Month: the revenue month.")
    store = models.CharField(max_length=100, help_text="Raw DistroKid Store value.")
    # No single-column FK indexes where a (column, sale_month) index below leads with the column: every index is
    # maintained on each of a snapshot's million inserts.
    platform = models.ForeignKey(
        Platform, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    artist = models.ForeignKey(
        Artist, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    artist_raw = models.CharField(max_length=200)
    track = models.ForeignKey(Track, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    isrc = models.CharField(max_length=12, blank=True, default="")
    upc = models.CharField(max_length=20, blank=True, default="")
    title = models.CharField(max_length=300, blank=True, default="")
    quantity = models.PositiveBigIntegerField()
    team_pct = FixedDecimalField(scale=4)
    song_or_album = models.CharField(max_length=5)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, db_column="country_code", related_name="+")
    withheld_usd = FixedDecimalField()
    earnings_usd = FixedDecimalField()
    is_adjustment = models.BooleanField(help_text="Earnings < 0: kept as a signed adjustment.")
    row_hash = models.CharField(max_length=64)
    occurrence = models.PositiveIntegerField()
    first_seen_file = models.ForeignKey(SourceFile, on_delete=models.PROTECT, related_name="+")
    # Not indexed: set on every present row of each snapshot, read only by the retraction's scan of active rows.
    last_seen_file = models.ForeignKey(SourceFile, on_delete=models.PROTECT, related_name="+", db_index=False)
    retracted_by_file = models.ForeignKey(
        SourceFile, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )  # indexed by royalty_line_retracted
    raw_fingerprint = models.BinaryField(
        max_length=16,
        null=True,
        blank=True,
        editable=False,
        help_text="blake2b-128 of the CSV record as read (keyed by the header): a later snapshot's byte-identical "
        "record keeps this row without being parsed again.",
    )

    class Meta:
        db_table = "royalty_line"
        verbose_name = "royalty line"
        verbose_name_plural = "royalty lines (DistroKid)"
        constraints = [
            models.UniqueConstraint(fields=["row_hash", "occurrence"], name="royalty_line_identity"),
            models.CheckConstraint(condition=Q(occurrence__gte=1), name="royalty_line_occurrence_positive"),
        ]
        indexes = [
            models.Index(fields=["sale_month"], name="royalty_line_month"),
            models.Index(fields=["artist", "sale_month"], name="royalty_line_artist_month"),
            models.Index(fields=["track", "sale_month"], name="royalty_line_track_month"),
            models.Index(fields=["platform", "sale_month"], name="royalty_line_platform_month"),
            models.Index(fields=["reporting_date"], name="royalty_line_reporting"),
            models.Index(fields=["retracted_by_file"], name="royalty_line_retracted"),
        ]


class RoyaltyMonthlyAggregate(models.Model):
    """Active royalty lines summed per (Sale Month, store, artist): what the dashboard summaries read, so they
    answer in milliseconds at a million lines. Rebuilt in the DK load's transaction; never edited by hand."""

    sale_month = models.DateField()
    store = models.CharField(max_length=100)
    platform = models.ForeignKey(Platform, null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+")
    artist = models.ForeignKey(Artist, null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+")
    artist_raw = models.CharField(max_length=200, blank=True, default="", help_text="Raw text, only while unmapped.")
    earnings_usd = FixedDecimalField(help_text="Σ earnings, negative lines included.")
    gross_usd = FixedDecimalField(help_text="Σ positive earnings.")
    adjustments_usd = FixedDecimalField(help_text="Σ negative earnings (≤ 0).")
    quantity = models.PositiveBigIntegerField(help_text="Σ Quantity of lines with earnings ≥ 0.")
    line_count = models.PositiveIntegerField()

    class Meta:
        db_table = "royalty_monthly_agg"
        verbose_name = "royalty month (derived)"
        verbose_name_plural = "royalty months (derived)"
        indexes = [models.Index(fields=["sale_month"], name="royalty_monthly_agg_month")]


class RoyaltyDelayAggregate(models.Model):
    """Active royalty lines counted per (Sale Month, reporting month): the delay analysis. Same upkeep."""

    sale_month = models.DateField()
    reporting_month = models.DateField(help_text="First day of the Reporting Date's month.")
    line_count = models.PositiveIntegerField()

    class Meta:
        db_table = "royalty_delay_agg"
        verbose_name = "royalty delay (derived)"
        verbose_name_plural = "royalty delays (derived)"


class RoyaltyIsrcAggregate(models.Model):
    """Active royalty lines with an ISRC summed per ISRC: the dashboard's top tracks without a GROUP BY over every
    line. Same upkeep as the monthly aggregate."""

    isrc = models.CharField(max_length=12, unique=True)
    streams = models.PositiveBigIntegerField(help_text="Σ Quantity of lines with earnings ≥ 0.")
    revenue_usd = FixedDecimalField(help_text="Σ earnings, negative lines included.")
    line_count = models.PositiveIntegerField()

    class Meta:
        db_table = "royalty_isrc_agg"
        verbose_name = "royalty per ISRC (derived)"
        verbose_name_plural = "royalties per ISRC (derived)"
        indexes = [models.Index(fields=["-streams", "isrc"], name="royalty_isrc_agg_top")]
