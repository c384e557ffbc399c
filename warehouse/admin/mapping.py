"""Names loads could not map: artist aliases, store names, campaign titles and campaigns, and the "Unmatched names"
page that maps each one with a choice and a click."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from warehouse import admin_selectors, resources, selectors, services
from warehouse import models as m
from warehouse.admin.base import CurationAdmin
from warehouse.admin.filters import ArtistMatchedFilter, PlatformMatchedFilter
from warehouse.admin.imports import CuratedImportExportAdmin


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
        services.artist_alias_save(alias=obj, user=request.user)

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
        services.store_alias_save(store_alias=obj, user=request.user)

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
        services.campaign_token_save(token=obj, user=request.user)


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
    readonly_fields = tuple(f for f in fields if f not in ("artist", "track", "targeting"))  # staff edit these
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
