"""Master data: artists, their aliases, tracks and royalty splits, platforms and store names, countries, social
accounts, Spotify tracks and Meta campaigns. Staff curate these in the admin; loads add unmatched names."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper

from warehouse import lookups  # noqa: F401  (registers the `glob` lookup of the ISRC check)
from warehouse.fields import FixedDecimalField
from warehouse.models.validators import (
    ISRC_GLOB,
    country_validator,
    isrc_validator,
    meta_id_validator,
    normalize_alias,
    normalize_isrc,
)


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
