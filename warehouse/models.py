"""The normalized schema of the BEDROT warehouse.

Table names follow `docs/contract/curated-zone.md` (royalty_line, distributor_daily_stream, …) so the
loader's SQL and the contract read the same. Money and ratios are FixedDecimalField (exact integers underneath).
Every fact row carries lineage: the load run and source file that last wrote it, and the file's physical line.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from warehouse import lookups  # noqa: F401  (registers the `glob` lookup)
from warehouse.fields import FixedDecimalField

ISRC_PATTERN = r"^[A-Z]{2}[A-Z0-9]{3}\d{7}$"
# The same shape as a GLOB / SIMILAR TO pattern for the CHECK constraint (warehouse/lookups.py: no REGEXP in the
# schema, so any SQLite tool can check and write the file); the Python validator keeps ISRC_PATTERN.
ISRC_GLOB = "[A-Z][A-Z]" + "[A-Z0-9]" * 3 + "[0-9]" * 7
isrc_validator = RegexValidator(ISRC_PATTERN, "ISRC must look like CCXXXYYNNNNN (e.g. QZTAW2496365).")
country_validator = RegexValidator(r"^[A-Z]{2}$", "Country must be a two-letter upper-case code.")
meta_id_validator = RegexValidator(r"^\d{1,20}$", "Meta ids are digits, stored as text.")


def normalize_isrc(value: str) -> str:
    """Upper-case and strip dashes and spaces (the contract's ISRC normalization)."""
    return value.replace("-", "").replace(" ", "").strip().upper()


def normalize_alias(value: str) -> str:
    """Alias matching key: trimmed, spaces collapsed, case-folded."""
    return " ".join(value.split()).casefold()


# --- Master data ------------------------------------------------------------------------------------------------


class Artist(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active"
        INACTIVE = "inactive"

    name = models.CharField(max_length=200, unique=True, help_text="Canonical name, upper case.")
    spotify_artist_id = models.CharField(max_length=22, unique=True, null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "artist"
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=Q(name=Upper("name")), name="artist_name_upper_case")]

    def __str__(self) -> str:
        return self.name


class ArtistAlias(models.Model):
    """Any spelling seen in data → one artist. artist NULL = unmatched, waiting for staff (review queue)."""

    alias = models.CharField(max_length=200, help_text="As first seen in data.")
    alias_key = models.CharField(max_length=200, unique=True, editable=False)
    artist = models.ForeignKey(Artist, null=True, blank=True, on_delete=models.PROTECT, related_name="aliases")
    first_seen_file = models.ForeignKey(
        "SourceFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "artist_alias"
        ordering = ["alias_key"]
        verbose_name_plural = "artist aliases"

    def clean(self):
        # alias_key is not a form field, so forms and imports would not check its uniqueness: check it here.
        self.alias_key = normalize_alias(self.alias or "")
        if ArtistAlias.objects.filter(alias_key=self.alias_key).exclude(pk=self.pk).exists():
            raise ValidationError(
                {"alias": f"The alias {self.alias!r} exists already (matching ignores case and spaces)."}
            )

    def save(self, *args, **kwargs):
        self.alias_key = normalize_alias(self.alias)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.alias} → {self.artist or 'unmatched'}"


class Track(models.Model):
    class ReleaseType(models.TextChoices):
        SINGLE = "single", "single"
        EP = "ep", "EP"
        ALBUM = "album", "album"

    isrc = models.CharField(max_length=12, unique=True, validators=[isrc_validator])
    title = models.CharField(max_length=300)
    upc = models.CharField(max_length=20, blank=True, default="", help_text="Text: keeps leading zeros.")
    release_date = models.DateField(null=True, blank=True)
    release_type = models.CharField(max_length=8, choices=ReleaseType.choices, blank=True, default="")
    needs_review = models.BooleanField(
        default=False, help_text="Artist inferred (e.g. TooLost catalog or created by a load): staff confirm it."
    )
    artists = models.ManyToManyField(Artist, through="TrackArtist", related_name="tracks")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "track"
        ordering = ["isrc"]
        constraints = [models.CheckConstraint(condition=Q(isrc__glob=ISRC_GLOB), name="track_isrc_valid")]

    def save(self, *args, **kwargs):
        self.isrc = normalize_isrc(self.isrc)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return f"{self.title} ({self.isrc})"


class TrackArtist(models.Model):
    class Role(models.TextChoices):
        PRIMARY = "primary"
        FEATURED = "featured"

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="track_artists")
    artist = models.ForeignKey(Artist, on_delete=models.PROTECT, related_name="track_artists")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.PRIMARY)
    label_share_pct = FixedDecimalField(
        default=100,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Percent of earnings the label keeps (0–100). 100 applies until staff confirm a share.",
    )
    share_confirmed = models.BooleanField(default=False)

    class Meta:
        db_table = "track_artist"
        constraints = [
            models.UniqueConstraint(fields=["track", "artist"], name="track_artist_unique"),
            models.CheckConstraint(
                condition=Q(label_share_pct__gte=0) & Q(label_share_pct__lte=100),
                name="track_artist_share_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.artist} on {self.track} ({self.role})"


class Platform(models.Model):
    class Type(models.TextChoices):
        STREAMING = "streaming"
        DOWNLOAD = "download"
        SOCIAL = "social"
        ADVERTISING = "advertising"
        DISTRIBUTION = "distribution"

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=16, choices=Type.choices)
    rate_key = models.CharField(max_length=20, default="default", help_text="Key in the per-stream rate table.")

    class Meta:
        db_table = "platform"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StoreAlias(models.Model):
    """A source's store name (DistroKid `YouTube (Ads)`) → platform. platform NULL = unmatched (review queue)."""

    store = models.CharField(max_length=100, unique=True)
    platform = models.ForeignKey(Platform, null=True, blank=True, on_delete=models.PROTECT, related_name="aliases")
    first_seen_file = models.ForeignKey(
        "SourceFile", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "store_alias"
        ordering = ["store"]
        verbose_name_plural = "store aliases"

    def __str__(self) -> str:
        return f"{self.store} → {self.platform or 'unmatched'}"


class Country(models.Model):
    """ISO-2 codes, plus the odd ones distributors use (DistroKid's `OU`). `NA` is Namibia, never missing."""

    code = models.CharField(max_length=2, primary_key=True, validators=[country_validator])
    name = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        db_table = "country"
        ordering = ["code"]
        verbose_name_plural = "countries"

    def __str__(self) -> str:
        return self.code


class SocialAccount(models.Model):
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="accounts")
    handle = models.CharField(max_length=100)
    artist = models.ForeignKey(Artist, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts")

    class Meta:
        db_table = "social_account"
        verbose_name = "social account"
        verbose_name_plural = "social accounts"
        constraints = [models.UniqueConstraint(fields=["platform", "handle"], name="social_account_unique")]

    def __str__(self) -> str:
        return f"{self.platform.slug}:{self.handle}"


class SpotifyTrack(models.Model):
    """A Spotify track id. Linked to `track` only through a manual ISRC mapping in the admin, never by title."""

    spotify_track_id = models.CharField(max_length=22, unique=True, help_text="Spotify track id (CSV track_id).")
    name = models.CharField(max_length=300, blank=True, default="")
    uri = models.CharField(max_length=64, blank=True, default="")
    release_date = models.DateField(null=True, blank=True)
    image_url = models.URLField(max_length=500, blank=True, default="")
    spotify_artist_id = models.CharField(max_length=40, blank=True, default="")
    artist = models.ForeignKey(Artist, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    track = models.ForeignKey(Track, null=True, blank=True, on_delete=models.SET_NULL, related_name="spotify_tracks")
    first_seen = models.DateField(null=True, blank=True)
    last_updated = models.DateTimeField(null=True, blank=True)
    is_stub = models.BooleanField(default=False, help_text="Created from a metric row with no dimension row.")

    class Meta:
        db_table = "spotify_track"
        verbose_name = "Spotify track"
        verbose_name_plural = "Spotify tracks"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name or self.spotify_track_id


class CampaignToken(models.Model):
    """A title seen in Meta campaign names (`PIG1987 - <TOKEN> - STREAMING`), with its artist and track if known."""

    token = models.CharField(max_length=200, unique=True, help_text="Upper case, spaces collapsed.")
    artist = models.ForeignKey(Artist, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    track = models.ForeignKey(Track, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    needs_review = models.BooleanField(default=False, help_text="Queued by a load: staff map it to an artist/track.")

    class Meta:
        db_table = "campaign_token"
        verbose_name = "campaign title"
        verbose_name_plural = "campaign titles"
        ordering = ["token"]

    def __str__(self) -> str:
        return self.token


class Campaign(models.Model):
    class ParseStatus(models.TextChoices):
        PARSED = "parsed"
        ACCOUNT_LEVEL = "account_level"
        AMBIGUOUS = "ambiguous"
        NONCONFORMING = "nonconforming"
        UNPARSED = "unparsed"
        OVERRIDE = "override"

    campaign_id = models.CharField(max_length=20, unique=True, validators=[meta_id_validator])
    name = models.CharField(max_length=300)
    objective = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=32, blank=True, default="")
    artist = models.ForeignKey(Artist, null=True, blank=True, on_delete=models.PROTECT, related_name="campaigns")
    track = models.ForeignKey(Track, null=True, blank=True, on_delete=models.SET_NULL, related_name="campaigns")
    token = models.ForeignKey(CampaignToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="campaigns")
    parsed_track_text = models.CharField(max_length=200, blank=True, default="")
    targeting = models.CharField(max_length=200, null=True, blank=True)
    is_copy = models.BooleanField(default=False)
    parse_status = models.CharField(max_length=16, choices=ParseStatus.choices, default=ParseStatus.UNPARSED)
    is_override = models.BooleanField(
        default=False, help_text="Staff set artist/track/targeting by hand; loads never re-parse it."
    )
    first_seen_date = models.DateField(null=True, blank=True)
    last_seen_date = models.DateField(null=True, blank=True)
    is_currently_active = models.BooleanField(null=True, blank=True)
    attributes = models.JSONField(default=dict, blank=True, help_text="Ad set / ad attributes from v1 exports.")
    source_file = models.ForeignKey("SourceFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        db_table = "campaign"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.campaign_id})"


# --- Lineage ----------------------------------------------------------------------------------------------------


class LoadRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        SUCCEEDED_WITH_REJECTS = "succeeded_with_rejects"
        FAILED = "failed"
        ABORTED = "aborted"

    class Trigger(models.TextChoices):
        CLI = "cli", "command line / scheduler"
        API = "api", "API refresh"
        WEBSOCKET = "websocket", "websocket refresh"
        ADMIN = "admin", "staff change in the admin"  # master data changed (warehouse/curation.py), not a load

    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.CLI)
    requested_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    options = models.JSONField(default=dict, blank=True)
    files_loaded = models.PositiveIntegerField(default=0)
    files_skipped = models.PositiveIntegerField(default=0)
    files_rejected = models.PositiveIntegerField(default=0)
    files_ignored = models.PositiveIntegerField(default=0)
    rows_changed = models.PositiveIntegerField(default=0, help_text="Inserted + updated + retracted rows.")
    rows_quarantined = models.PositiveIntegerField(default=0)
    progress = models.JSONField(default=dict, blank=True, help_text="Current file and counters while running.")
    error = models.TextField(blank=True, default="")
    warnings = models.JSONField(  # db_default: rows written by plain SQL (ops scripts, other tools) stay valid
        default=list,
        db_default=[],
        blank=True,
        help_text="Run-level warnings, e.g. meta_spend_mismatch (contract §2.9).",
    )

    class Meta:
        db_table = "load_run"
        verbose_name = "load run"
        verbose_name_plural = "load runs"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"load run {self.pk} ({self.status})"


class SourceFile(models.Model):
    class Status(models.TextChoices):
        LOADED = "loaded"
        SKIPPED = "skipped"
        REJECTED = "rejected"
        IGNORED = "ignored"

    load_run = models.ForeignKey(LoadRun, on_delete=models.PROTECT, related_name="files")
    kind = models.CharField(max_length=40, blank=True, default="")
    path = models.CharField(max_length=500, help_text="Relative to the curated zone.")
    sha256 = models.CharField(max_length=64)
    size_bytes = models.BigIntegerField(default=0)
    mtime = models.DateTimeField(null=True, blank=True)
    name_timestamp = models.DateTimeField(null=True, blank=True)
    newest_copy_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Name timestamp or mtime of a newer byte-identical copy skipped since: "
        "the file's rows rank as that copy (newest wins whatever the order; issue 10).",
    )
    schema_variant = models.CharField(max_length=16, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.CharField(max_length=40, blank=True, default="", help_text="Reject code.")
    message = models.TextField(blank=True, default="")
    rows_read = models.PositiveIntegerField(default=0)
    rows_inserted = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    rows_quarantined = models.PositiveIntegerField(default=0)
    rows_retracted = models.PositiveIntegerField(default=0)
    rows_ignored = models.PositiveIntegerField(default=0)
    counters = models.JSONField(default=dict, blank=True, help_text="Normalizations and warnings, by code.")
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "source_file"
        verbose_name = "source file"
        verbose_name_plural = "source files"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["kind", "status"]),
            models.Index(fields=["sha256"]),
            models.Index(fields=["path"]),
        ]

    def __str__(self) -> str:
        return f"{self.path} ({self.status})"


class QuarantinedRow(models.Model):
    source_file = models.ForeignKey(SourceFile, on_delete=models.CASCADE, related_name="quarantined_rows")
    line = models.PositiveIntegerField(help_text="First physical line of the row in the file.")
    column = models.CharField(max_length=100, blank=True, default="")
    reason = models.CharField(max_length=40)
    message = models.TextField(blank=True, default="")
    raw = models.TextField(blank=True, default="", help_text="Raw excerpt of the row.")
    errors = models.JSONField(default=list, blank=True, help_text="Every rule the row broke: column, reason, message.")

    class Meta:
        db_table = "quarantined_row"
        verbose_name = "quarantined row"
        verbose_name_plural = "quarantined rows"
        ordering = ["source_file", "line"]
        indexes = [models.Index(fields=["reason"])]

    def __str__(self) -> str:
        return f"{self.source_file.path}:{self.line} {self.reason}"


class LineageMixin(models.Model):
    load_run = models.ForeignKey(LoadRun, on_delete=models.PROTECT, related_name="+")
    source_file = models.ForeignKey(SourceFile, on_delete=models.PROTECT, related_name="+")
    source_line = models.PositiveIntegerField()

    class Meta:
        abstract = True


# --- Facts ------------------------------------------------------------------------------------------------------


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


# --- Precomputed aggregates (maintained by warehouse.services.facts_changed inside each load's transaction) -----


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


# --- API access -------------------------------------------------------------------------------------------------


class ApiToken(models.Model):
    """An API token, stored as the sha256 of its key: a copied database or backup holds no usable credential.
    The key itself is shown once, when the token is created (warehouse/tokens.py)."""

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, help_text="What uses it, e.g. 'dashboard' or 'scheduler'.")
    key_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False, help_text="The key's first characters, to recognise it.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "api_token"
        ordering = ["user_id", "id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name or 'unnamed'})"
