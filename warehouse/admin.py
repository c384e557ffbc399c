"""The Django admin: staff curate master data here; facts and lineage are read-only.

Master data (artists, tracks, platforms, aliases) is editable, with import/export (CSV, XLSX) through
django-import-export resources in `warehouse/resources.py`. The "Unmatched names" page lists what loads could
not map (aliases, store names, campaign titles and campaigns) and maps each one with a choice and a click.
Fact and lineage tables are the loader's: viewable and filterable, never added, changed or deleted here.
"""

import logging
import re

import openpyxl
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ImportForm

from etl.lock import LoadLockBusy, load_lock
from warehouse import admin_display as show
from warehouse import admin_selectors, curation, resources, selectors, services
from warehouse import models as m

logger = logging.getLogger(__name__)

admin.site.site_header = "BEDROT warehouse"
admin.site.site_title = "BEDROT warehouse"
admin.site.index_title = "Master data, facts and load lineage"
admin.site.index_template = "admin/warehouse/index.html"


class StaffMedia:
    css = {"all": ["warehouse/admin.css"]}  # a static file: no inline style under the Content-Security-Policy


class CurationAdmin(admin.ModelAdmin):
    """Master data: every save and delete, inlines included, goes through `warehouse/curation.py`, so a change
    made here reaches loaded facts, the aggregates, the API cache and `/ws` clients in its own transaction."""

    Media = StaffMedia

    def save_model(self, request, obj, form, change):
        curation.master_data_save(instance=obj, user=request.user)

    def delete_model(self, request, obj):
        curation.master_data_delete(instance=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                curation.master_data_delete(instance=obj, user=request.user)

    def save_formset(self, request, form, formset, change):
        for obj in formset.save(commit=False):
            curation.instance_save(instance=obj, user=request.user)
        for obj in formset.deleted_objects:
            curation.master_data_delete(instance=obj, user=request.user)
        formset.save_m2m()


class BoundedImportForm(ImportForm):
    """Refuses a file over ADMIN_IMPORT_MAX_BYTES or ADMIN_IMPORT_MAX_ROWS before import-export reads it whole:
    a 10 MB preview took minutes and hundreds of MB. Rows are counted on the uploaded file's chunks (CSV) or the
    sheet's dimension (XLSX), never by parsing it."""

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("import_file")
        if upload is None:
            return cleaned
        limit = settings.ADMIN_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"{upload.name} is {upload.size:,} bytes; the limit is {limit:,} bytes "
                f"(ADMIN_IMPORT_MAX_BYTES). Split the file and import the parts."
            )
        rows = _data_rows(upload)
        if rows > settings.ADMIN_IMPORT_MAX_ROWS:
            raise forms.ValidationError(
                f"{upload.name} has {rows:,} rows; the limit is {settings.ADMIN_IMPORT_MAX_ROWS:,} "
                f"(ADMIN_IMPORT_MAX_ROWS). Split the file and import the parts."
            )
        return cleaned


def _data_rows(upload) -> int:
    """Rows below the header: newlines of a CSV (streamed), the last row of an XLSX sheet (read-only mode)."""
    upload.seek(0)
    head = upload.read(4)
    upload.seek(0)
    if head.startswith(b"PK"):
        try:
            book = openpyxl.load_workbook(upload, read_only=True)
            rows = (book.active.max_row or 1) - 1
            book.close()
        except Exception:  # not a workbook after all: import-export reports it as unreadable
            rows = 0
    else:
        data = b""
        rows = 0
        for chunk in upload.chunks():
            rows += chunk.count(b"\n")
            data = chunk[-1:]
        rows = rows - 1 + (data not in (b"\n", b""))
    upload.seek(0)
    return max(rows, 0)


class CuratedImportExportAdmin(CurationAdmin, ImportExportModelAdmin):
    """Import/export limited to CSV and XLSX (no HTML/JSON/YAML surfaces to sanitize). Imports are all or nothing,
    bounded in size, and their errors name the row and the problem, never a server traceback."""

    formats = [CSV, XLSX]
    import_form_class = BoundedImportForm
    import_template_name = "admin/warehouse/import.html"

    def get_import_data_kwargs(self, **kwargs):
        # The confirm step re-runs the import for real; the data may have changed since the preview, so an invalid
        # row must roll back the whole file there too (import-export only rolls back on errors by default).
        return {**super().get_import_data_kwargs(**kwargs), "rollback_on_validation_errors": True}

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        # A preview with errors offers no confirm step, so nothing would ever delete its uploaded temp file.
        context = getattr(response, "context_data", None) or {}
        for error in getattr(context.get("result"), "base_errors", ()):
            # Staff see the message (admin/warehouse/import.html); the traceback goes to the server log only.
            logger.warning("import of %s failed: %s\n%s", self.opts.model_name, error.error, error.traceback)
        form = context.get("form")
        if "result" in context and "confirm_form" not in context and form is not None and form.is_valid():
            name = getattr(form.cleaned_data["import_file"], "tmp_storage_name", None)
            if name:
                self.get_tmp_storage_class()(name=name, **self.get_tmp_storage_class_kwargs()).remove()
        return response

    def process_import(self, request, **kwargs):
        # An import is a second writer of master data: never change mappings under a running load's feet.
        try:
            with load_lock(wait=2, abort_stale=False):
                return super().process_import(request, **kwargs)
        except LoadLockBusy:
            confirm_form = self.create_confirm_form(request)
            if confirm_form.is_valid():  # the upload is not kept: the retry starts from the file again
                name = confirm_form.cleaned_data["import_file_name"]
                self.get_tmp_storage_class()(name=name, **self.get_tmp_storage_class_kwargs()).remove()
            messages.error(request, "Nothing imported: a load is running. Import again when it has finished.")
            return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            rows = sorted({row.number for row in (*result.invalid_rows, *result.error_rows)})
            messages.error(request, f"Nothing imported: rows {rows} are invalid (import again to see why).")
            return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))
        return super().process_result(result, request)


# --- List filters ------------------------------------------------------------------------------------------------


class MatchedFilter(admin.SimpleListFilter):
    """Matched / unmatched (the review queue) on a nullable mapping column."""

    title = "mapping"
    parameter_name = "matched"
    target = ""

    def lookups(self, request, model_admin):
        return [("no", "Unmatched"), ("yes", "Matched")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(**{f"{self.target}__isnull": self.value() == "no"})
        return queryset


class ArtistMatchedFilter(MatchedFilter):
    target = "artist"


class PlatformMatchedFilter(MatchedFilter):
    target = "platform"


class SourceKindFilter(admin.SimpleListFilter):
    """The curated source kind, listed from source_file (small) instead of a DISTINCT over the fact table."""

    title = "source kind"
    parameter_name = "kind"
    lookup = "source_file__kind"

    def lookups(self, request, model_admin):
        kinds = m.SourceFile.objects.exclude(kind="").values_list("kind", flat=True).distinct().order_by("kind")
        return [(kind, kind) for kind in kinds]

    def queryset(self, request, queryset):
        return queryset.filter(**{self.lookup: self.value()}) if self.value() else queryset


class SourceFileFilter(admin.SimpleListFilter):
    """One source file (the most recent ones of `kinds` listed). An equality on the source_file index keeps id
    order, so the page needs no sort; a kind filter (a join to several files) sorts a million royalty lines."""

    title = "source file"
    parameter_name = "source_file"
    kinds: tuple[str, ...] = ()
    recent = 25

    def lookups(self, request, model_admin):
        files = m.SourceFile.objects.filter(kind__in=self.kinds).order_by("-id")[: self.recent]
        return [(str(f.pk), f"#{f.pk} {f.path} (run {f.load_run_id})") for f in files]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        return queryset.filter(source_file_id=int(value)) if value.isdigit() else queryset.none()


class RoyaltySourceFileFilter(SourceFileFilter):
    kinds = ("dk_bank_details",)


class LoadRunFilter(admin.SimpleListFilter):
    """The most recent load runs (any run id works through `?load_run=<id>`)."""

    title = "load run"
    parameter_name = "load_run"
    lookup = "load_run_id"
    recent = 25

    def lookups(self, request, model_admin):
        runs = m.LoadRun.objects.order_by("-id")[: self.recent]
        return [
            (str(run.pk), f"#{run.pk} {run.status} {run.started_at or run.created_at:%Y-%m-%d %H:%M}") for run in runs
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(**{self.lookup: int(value)})


class FileKindFilter(SourceKindFilter):
    lookup = "kind"


class FileLoadRunFilter(LoadRunFilter):
    lookup = "source_file__load_run_id"


# --- Master data -------------------------------------------------------------------------------------------------


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


class AliasMapActionForm(ActionForm):
    artist = forms.ModelChoiceField(m.Artist.objects.all(), required=False, empty_label="artist…")


@admin.register(m.ArtistAlias)
class ArtistAliasAdmin(CuratedImportExportAdmin):
    resource_classes = [resources.ArtistAliasResource]
    list_display = ("alias", "artist", "first_seen_file", "created_at")
    list_editable = ("artist",)
    list_filter = (ArtistMatchedFilter, "artist")
    list_select_related = ("artist", "first_seen_file")
    search_fields = ("alias", "alias_key", "artist__name")
    readonly_fields = ("first_seen_file",)
    action_form = AliasMapActionForm
    actions = ["map_to_artist"]

    def save_model(self, request, obj, form, change):
        curation.artist_alias_save(alias=obj, user=request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # a spelling seen in data stays known; clear its artist to send it back to the queue

    @admin.action(description="Map the selected names to the artist chosen beside", permissions=["change"])
    def map_to_artist(self, request, queryset):
        artist = m.Artist.objects.filter(pk=request.POST.get("artist") or None).first()
        if artist is None:
            self.message_user(request, "Nothing mapped: choose the artist beside the action.", messages.ERROR)
            return
        with transaction.atomic():
            for alias in queryset:
                services.artist_alias_map(alias=alias, artist=artist, user=request.user)
        self.message_user(request, f"Mapped {len(queryset)} name(s) to {artist}.", messages.SUCCESS)

    def get_urls(self):
        # The review queue of every kind lives under the alias admin: /admin/warehouse/artistalias/unmatched/.
        view = self.admin_site.admin_view(self.unmatched_view)
        return [path("unmatched/", view, name="warehouse_unmatched"), *super().get_urls()]

    def unmatched_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            return self._unmatched_map(request)
        queues = selectors.unmatched_name_list()
        context = {
            **self.admin_site.each_context(request),
            **queues,
            **admin_selectors.unmatched_rows_get(queues=queues),
            "title": "Unmatched names",
            "opts": self.model._meta,
            "artists": m.Artist.objects.all(),
            "platforms": m.Platform.objects.all(),
            "tracks": m.Track.objects.all(),
        }
        return TemplateResponse(request, "admin/warehouse/unmatched.html", context)

    def _unmatched_map(self, request):
        form = UnmatchedMapForm(request.POST)
        back = HttpResponseRedirect(reverse("admin:warehouse_unmatched"))
        if not form.is_valid():
            messages.error(request, f"Nothing mapped: {form.errors.as_text()}")
            return back
        kind, pk, data = form.cleaned_data["kind"], form.cleaned_data["pk"], form.cleaned_data
        model, need = UNMATCHED_KINDS[kind]
        if not request.user.has_perm(f"warehouse.change_{model._meta.model_name}"):
            raise PermissionDenied
        obj = model.objects.filter(pk=pk).first()
        if obj is None:
            messages.error(request, f"Nothing mapped: {model._meta.verbose_name} {pk} no longer exists.")
            return back
        if need and not data.get(need):
            messages.error(request, f"Nothing mapped: choose a {need} for {obj}.")
            return back
        try:
            user = request.user
            if kind == "artist_alias":
                services.artist_alias_map(alias=obj, artist=data["artist"], user=user)
            elif kind == "store_alias":
                services.store_alias_map(store_alias=obj, platform=data["platform"], user=user)
            elif kind == "campaign_token":
                services.campaign_token_map(token=obj, artist=data["artist"], track=data["track"], user=user)
            else:
                services.campaign_override_set(
                    campaign=obj, artist=data["artist"], track=data["track"], targeting=obj.targeting, user=user
                )
        except ValueError as exc:
            messages.error(request, f"Nothing mapped: {exc}")
            return back
        obj.refresh_from_db()
        messages.success(request, f"Mapped {model._meta.verbose_name}: {obj}")
        return back


class UnmatchedMapForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            ("artist_alias", "artist alias"),
            ("store_alias", "store"),
            ("campaign_token", "campaign title"),
            ("campaign", "campaign"),
        ]
    )
    pk = forms.IntegerField(min_value=1)
    artist = forms.ModelChoiceField(m.Artist.objects.all(), required=False)
    platform = forms.ModelChoiceField(m.Platform.objects.all(), required=False)
    track = forms.ModelChoiceField(m.Track.objects.all(), required=False)


# kind → (model, the choice it needs; None: artist and/or track)
UNMATCHED_KINDS = {
    "artist_alias": (m.ArtistAlias, "artist"),
    "store_alias": (m.StoreAlias, "platform"),
    "campaign_token": (m.CampaignToken, None),
    "campaign": (m.Campaign, None),
}


@admin.register(m.StoreAlias)
class StoreAliasAdmin(CuratedImportExportAdmin):
    resource_classes = [resources.StoreAliasResource]
    list_display = ("store", "platform", "first_seen_file", "created_at")
    list_editable = ("platform",)
    list_filter = (PlatformMatchedFilter, "platform")
    list_select_related = ("platform", "first_seen_file")
    search_fields = ("store", "platform__name")
    readonly_fields = ("first_seen_file",)

    def save_model(self, request, obj, form, change):
        curation.store_alias_save(store_alias=obj, user=request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # a store name seen in data stays known; clear its platform to send it back to the queue


@admin.register(m.CampaignToken)
class CampaignTokenAdmin(CurationAdmin):
    list_display = ("token", "artist", "track", "needs_review")
    list_editable = ("artist", "track", "needs_review")
    list_filter = ("needs_review", "artist")
    list_select_related = ("artist", "track")
    search_fields = ("token", "track__isrc", "track__title")

    def save_model(self, request, obj, form, change):
        curation.campaign_token_save(token=obj, user=request.user)


@admin.register(m.Campaign)
class CampaignAdmin(CurationAdmin):
    list_display = ("name", "campaign_id", "artist", "track", "targeting", "parse_status", "is_override", "is_copy")
    list_filter = ("parse_status", "is_override", "is_copy", "artist", "is_currently_active")
    list_select_related = ("artist", "track")
    search_fields = ("name", "campaign_id", "parsed_track_text")
    fields = (
        "campaign_id",
        "name",
        "artist",
        "track",
        "targeting",
        "parse_status",
        "is_override",
        "token",
        "parsed_track_text",
        "is_copy",
        "objective",
        "status",
        "first_seen_date",
        "last_seen_date",
        "is_currently_active",
        "attributes",
        "source_file",
    )
    readonly_fields = (
        "campaign_id",
        "name",
        "parse_status",
        "is_override",
        "token",
        "parsed_track_text",
        "is_copy",
        "objective",
        "status",
        "first_seen_date",
        "last_seen_date",
        "is_currently_active",
        "attributes",
        "source_file",
    )
    actions = ["clear_override"]

    def has_add_permission(self, request):
        return False  # campaigns come from Meta exports; staff only override their mapping

    def save_model(self, request, obj, form, change):
        if {"artist", "track", "targeting"} & set(form.changed_data):
            services.campaign_override_set(
                campaign=obj, artist=obj.artist, track=obj.track, targeting=obj.targeting, user=request.user
            )
        else:
            super().save_model(request, obj, form, change)

    @admin.action(description="Clear the manual override (the next load re-parses the name)", permissions=["change"])
    def clear_override(self, request, queryset):
        with transaction.atomic():
            for campaign in queryset.filter(is_override=True):
                services.campaign_override_clear(campaign=campaign, user=request.user)


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


# --- Facts and lineage: read-only ----------------------------------------------------------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    """The loader owns these rows (lineage would lie otherwise): view and filter only.

    No full COUNT(*) beside the filtered one: royalty_line can hold millions of rows. Lists show the columns staff
    decide on (they fit 1366 px); the detail page shows every field and the row's lineage as links.
    """

    show_full_result_count = False
    list_per_page = 50
    Media = StaffMedia

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _has_lineage(self) -> bool:
        return any(f.name == "source_file" for f in self.model._meta.fields) and hasattr(self.model, "source_line")

    def get_fields(self, request, obj=None):
        fields = [f for f in super().get_fields(request, obj) if f not in ("load_run", "source_file", "source_line")]
        return [*fields, "lineage"] if self._has_lineage() else fields

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *(["lineage"] if self._has_lineage() else [])]

    @admin.display(description="source")
    def lineage(self, obj):
        source_file = obj.source_file
        run = reverse("admin:warehouse_loadrun_change", args=[obj.load_run_id])
        return format_html(
            '{} &middot; <a href="{}">load run #{}</a> &middot; quarantined in this file: {}',
            show.source_file_link(source_file, obj.source_line),
            run,
            obj.load_run_id,
            show.quarantined_rows_link(source_file),
        )


FACT_FILTERS = (SourceKindFilter, LoadRunFilter)


@admin.register(m.RoyaltyLine)
class RoyaltyLineAdmin(ReadOnlyAdmin):
    list_display = (
        show.month_column("sale_month", "sale month"),
        "artist_shown",
        "title",
        "store",
        "quantity",
        show.money_column("earnings_usd", "earnings"),
    )
    date_hierarchy = "sale_month"  # years and months from the aggregate (month_hierarchy), not a scan of every line
    list_filter = (
        "platform",
        "artist",
        "is_adjustment",
        ("retracted_by_file", admin.EmptyFieldListFilter),
        RoyaltySourceFileFilter,
        LoadRunFilter,
    )
    list_select_related = ("artist",)
    search_fields = ("isrc", "title", "store", "artist_raw")
    search_help_text = "An ISRC (any spelling) finds its track's lines through an index; other text scans every line."

    @admin.display(description="artist", ordering="artist_raw")
    def artist_shown(self, obj):
        if obj.artist is None:
            return format_html('{} <span class="bedrot-unmatched">(unmatched)</span>', obj.artist_raw)
        return obj.artist.name

    def get_search_results(self, request, queryset, search_term):
        isrc = m.normalize_isrc(search_term)
        if re.fullmatch(m.ISRC_PATTERN, isrc):
            # A LIKE over title/store/artist of a million lines takes seconds; (track, sale_month) is indexed.
            track = m.Track.objects.filter(isrc=isrc).first()
            return (queryset.filter(track=track) if track else queryset.filter(isrc=isrc)), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(m.DistributorDailyStream)
class DistributorDailyStreamAdmin(ReadOnlyAdmin):
    list_display = ("date", "source", "spotify_streams", "apple_streams", "combined_streams", "is_partial")
    date_hierarchy = "date"
    list_filter = ("source", "is_partial", *FACT_FILTERS)


@admin.register(m.SpotifyAudienceDaily)
class SpotifyAudienceDailyAdmin(ReadOnlyAdmin):
    list_display = ("date", "artist", "listeners", "streams", "followers")
    date_hierarchy = "date"
    list_filter = ("artist", *FACT_FILTERS)
    list_select_related = ("artist",)


@admin.register(m.SpotifySongMetric)
class SpotifySongMetricAdmin(ReadOnlyAdmin):
    list_display = ("extraction_date", "spotify_track", "time_period", "streams", "listeners", "savers")
    date_hierarchy = "extraction_date"
    list_filter = ("time_period", "artist", *FACT_FILTERS)
    list_select_related = ("spotify_track",)
    search_fields = ("spotify_track__name", "spotify_track__spotify_track_id")


@admin.register(m.TiktokDaily)
class TiktokDailyAdmin(ReadOnlyAdmin):
    list_display = ("date", "account", "video_views", "profile_views", "likes", "comments", "shares")
    date_hierarchy = "date"
    list_filter = ("account", *FACT_FILTERS)
    list_select_related = ("account__platform",)


@admin.register(m.LinktreeDaily)
class LinktreeDailyAdmin(ReadOnlyAdmin):
    list_display = ("date", "account", "total_views", "unique_views", "total_clicks", "unique_clicks")
    date_hierarchy = "date"
    list_filter = ("account", *FACT_FILTERS)


@admin.register(m.AdAccountDaily)
class AdAccountDailyAdmin(ReadOnlyAdmin):
    list_display = ("date", show.money_column("spend_usd", "spend"), "impressions", "clicks", "reach")
    date_hierarchy = "date"
    list_filter = FACT_FILTERS


@admin.register(m.AdPerformanceDaily)
class AdPerformanceDailyAdmin(ReadOnlyAdmin):
    list_display = (
        "date",
        "campaign",
        "adset_name",
        "ad_name",
        show.money_column("spend_usd", "spend"),
        "impressions",
        "clicks",
        "superseded",
    )
    date_hierarchy = "date"
    list_filter = ("superseded", *FACT_FILTERS)
    list_select_related = ("campaign",)
    search_fields = ("campaign__name", "adset_name", "ad_name")


@admin.register(m.AdInsightWindow)
class AdInsightWindowAdmin(ReadOnlyAdmin):
    list_display = (
        "campaign",
        "adset_name",
        "date_start",
        "date_stop",
        show.money_column("spend_usd", "spend"),
        "impressions",
    )
    date_hierarchy = "date_start"
    list_filter = FACT_FILTERS
    list_select_related = ("campaign",)
    search_fields = ("campaign__name", "adset_name")


@admin.register(m.CampaignDaily)
class CampaignDailyAdmin(ReadOnlyAdmin):
    list_display = ("date", "campaign", show.money_column("spend_usd", "spend"), "impressions", "clicks", "reach")
    date_hierarchy = "date"
    list_filter = ("campaign__artist", *FACT_FILTERS)
    list_select_related = ("campaign",)
    search_fields = ("campaign__name", "campaign__campaign_id")


@admin.register(m.BusinessExpense)
class BusinessExpenseAdmin(ReadOnlyAdmin):
    list_display = ("date", "description", show.money_column("amount_usd", "amount"), "category", "status", "source")
    date_hierarchy = "date"
    list_filter = ("source", "category", *FACT_FILTERS)
    search_fields = ("description",)


@admin.register(m.LoadRun)
class LoadRunAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "status",
        "trigger",
        "started_at",
        "files_loaded",
        "files_skipped",
        "files_rejected",
        "rows_changed",
        "rows_quarantined",
        "warning_list",
    )
    list_filter = ("status", "trigger")
    date_hierarchy = "started_at"

    @admin.display(description="warnings")
    def warning_list(self, run: m.LoadRun) -> str:
        """Run-level warnings (e.g. meta_spend_mismatch, contract §2.9), each with its message."""
        return "; ".join(f"{w['code']}: {w['message']}" for w in run.warnings or []) or "-"


@admin.register(m.SourceFile)
class SourceFileAdmin(ReadOnlyAdmin):
    list_display = ("path", "kind", "status", "reason", "rows_read", "rows_changed", "quarantined", "load_run_link")
    list_filter = ("status", FileKindFilter, LoadRunFilter, "reason")
    list_select_related = ("load_run",)
    search_fields = ("path", "sha256")
    date_hierarchy = "loaded_at"
    readonly_fields = ("quarantined",)

    @admin.display(description="changed rows")
    def rows_changed(self, obj):
        return obj.rows_inserted + obj.rows_updated

    @admin.display(description="quarantined", ordering="rows_quarantined")
    def quarantined(self, obj):
        return show.quarantined_rows_link(obj)

    @admin.display(description="load run", ordering="load_run_id")
    def load_run_link(self, obj):
        url = reverse("admin:warehouse_loadrun_change", args=[obj.load_run_id])
        return format_html('<a href="{}">#{}</a>', url, obj.load_run_id)


class QuarantineSourceFileFilter(SourceFileFilter):
    """The recent files that quarantined rows (any file works through `?source_file=<id>`, the files' links)."""

    def lookups(self, request, model_admin):
        files = m.SourceFile.objects.filter(rows_quarantined__gt=0).order_by("-id")[: self.recent]
        return [(str(f.pk), f"#{f.pk} {f.path}") for f in files]


@admin.register(m.QuarantinedRow)
class QuarantinedRowAdmin(ReadOnlyAdmin):
    list_display = ("source", "column", "reason", "message")
    list_filter = ("reason", QuarantineSourceFileFilter, SourceKindFilter, FileLoadRunFilter)
    list_select_related = ("source_file",)
    search_fields = ("message", "raw", "source_file__path")

    @admin.display(description="file, line", ordering="source_file_id")
    def source(self, obj):
        return show.source_file_link(obj.source_file, obj.line)


@admin.register(m.RoyaltyMonthlyAggregate)
class RoyaltyMonthlyAggregateAdmin(ReadOnlyAdmin):
    """Derived from royalty_line inside each load (services.facts_changed): shown for checking, never edited."""

    list_display = (
        show.month_column("sale_month", "sale month"),
        "store",
        "artist",
        "artist_raw",
        show.money_column("earnings_usd", "earnings"),
        "quantity",
        "line_count",
    )
    date_hierarchy = "sale_month"
    list_filter = ("platform", "artist")
    list_select_related = ("artist",)


@admin.register(m.RoyaltyIsrcAggregate)
class RoyaltyIsrcAggregateAdmin(ReadOnlyAdmin):
    """Royalty lines per ISRC (the top tracks), derived like the monthly aggregate."""

    list_display = ("isrc", "streams", show.money_column("revenue_usd", "revenue"), "line_count")
    search_fields = ("isrc",)


@admin.register(m.RoyaltyDelayAggregate)
class RoyaltyDelayAggregateAdmin(ReadOnlyAdmin):
    """Royalty lines per (Sale Month, reporting month), derived like the monthly aggregate."""

    list_display = (
        show.month_column("sale_month", "sale month"),
        show.month_column("reporting_month", "reported"),
        "line_count",
    )
    date_hierarchy = "sale_month"


from warehouse import admin_tokens  # noqa: E402,F401  (registers the API token admin)
