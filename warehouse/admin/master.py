"""Master data: artists, tracks and their royalty splits, platforms, countries, social accounts, Spotify tracks."""

from django import forms
from django.contrib import admin
from django.db.models import Count

from warehouse import models as m
from warehouse import resources
from warehouse.admin import display as show
from warehouse.admin.base import CurationAdmin
from warehouse.admin.imports import CuratedImportExportAdmin


class ArtistAliasInline(admin.TabularInline):
    model = m.ArtistAlias
    fields = ("alias", "first_seen_file")
    readonly_fields = ("first_seen_file",)
    extra = 0


class ArtistTrackInline(admin.TabularInline):
    """The artist's tracks, listed (edit the links on the track)."""

    model = m.TrackArtist
    fields = ("track", "role", "share", "share_confirmed")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "track"
    verbose_name_plural = "tracks"

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("track")

    @admin.display(description="label share")
    def share(self, obj):
        return show.percent(obj.label_share_pct)


@admin.register(m.Artist)
class ArtistAdmin(CuratedImportExportAdmin):
    resource_classes = [resources.ArtistResource]
    list_display = ("name", "spotify_artist_id", "status", "alias_count", "track_count")
    list_filter = ("status",)
    search_fields = ("name", "spotify_artist_id", "aliases__alias")
    inlines = [ArtistAliasInline, ArtistTrackInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(alias_total=Count("aliases", distinct=True), track_total=Count("track_artists", distinct=True))
        )

    @admin.display(description="aliases", ordering="alias_total")
    def alias_count(self, obj):
        return obj.alias_total

    @admin.display(description="tracks", ordering="track_total")
    def track_count(self, obj):
        return obj.track_total


class TrackForm(forms.ModelForm):
    # Longer than 12 so a pasted `QZ-TAW-24-96365` reaches the normalization; the model validators check the result.
    isrc = forms.CharField(max_length=40, label="ISRC", help_text="Dashes, spaces and case are normalized.")

    class Meta:
        model = m.Track
        fields = "__all__"

    def clean_isrc(self):
        # The same normalization as loads and imports: `qz-tbf-24-39187` is QZTBF2439187.
        return m.normalize_isrc(self.cleaned_data["isrc"])


class TrackArtistForm(forms.ModelForm):
    label_share_pct = forms.DecimalField(
        min_value=0, max_value=100, decimal_places=10, label="label share (%)", help_text="0–100, e.g. 50 or 33.33"
    )

    class Meta:
        model = m.TrackArtist
        fields = ("artist", "role", "label_share_pct", "share_confirmed")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        share = self.initial.get("label_share_pct")
        if share is not None:  # 100.0000000000 is stored; staff type and read 100
            self.initial["label_share_pct"] = f"{share.normalize():f}"


class TrackArtistInline(admin.TabularInline):
    model = m.TrackArtist
    form = TrackArtistForm
    fields = ("artist", "role", "label_share_pct", "share_confirmed")
    extra = 0


@admin.register(m.Track)
class TrackAdmin(CuratedImportExportAdmin):
    resource_classes = [resources.TrackResource]
    form = TrackForm
    list_display = ("isrc", "title", "artist_names", "upc", "release_date", "release_type", "needs_review")
    list_filter = ("needs_review", "release_type", "artists", "track_artists__share_confirmed")
    search_fields = ("isrc", "title", "upc")
    search_help_text = "Title, ISRC (dashes and case ignored) or UPC."
    inlines = [TrackArtistInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("track_artists__artist")

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        isrc = m.normalize_isrc(search_term)
        if search_term and isrc != search_term.strip():
            results |= queryset.filter(isrc__icontains=isrc)
        return results, may_have_duplicates

    @admin.display(description="artists")
    def artist_names(self, obj):
        links = sorted(obj.track_artists.all(), key=lambda link: (link.role != m.TrackArtist.Role.PRIMARY, link.pk))
        return ", ".join(f"{link.artist.name}{' (feat.)' if link.role == 'featured' else ''}" for link in links)


class StoreAliasInline(admin.TabularInline):
    model = m.StoreAlias
    fields = ("store", "first_seen_file")
    readonly_fields = ("first_seen_file",)
    extra = 0


@admin.register(m.Platform)
class PlatformAdmin(CurationAdmin):
    list_display = ("name", "slug", "type", "rate_key")
    list_filter = ("type", "rate_key")
    search_fields = ("name", "slug", "aliases__store")
    inlines = [StoreAliasInline]


@admin.register(m.Country)
class CountryAdmin(CurationAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(m.SocialAccount)
class SocialAccountAdmin(CurationAdmin):
    list_display = ("handle", "platform", "artist")
    list_filter = ("platform", "artist")
    list_select_related = ("platform", "artist")
    search_fields = ("handle",)


@admin.register(m.SpotifyTrack)
class SpotifyTrackAdmin(CurationAdmin):
    """Spotify ids link to tracks only by a manual ISRC mapping here, never by title."""

    list_display = ("name", "spotify_track_id", "artist", "track", "is_stub", "release_date")
    list_editable = ("track",)
    list_filter = ("is_stub", "artist", ("track", admin.EmptyFieldListFilter))
    list_select_related = ("artist", "track")
    search_fields = ("name", "spotify_track_id", "track__isrc")
    readonly_fields = ("spotify_track_id", "first_seen", "last_updated", "is_stub")
