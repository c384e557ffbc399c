"""API tokens in the admin: staff create one (the key is shown once, on the page after saving) and revoke one by
deleting it. Only the key's sha256 is stored, so a token can never be shown again or edited."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.template.response import TemplateResponse

from warehouse.models import ApiToken
from warehouse.tokens import api_token_issue


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name", "user", "created_at")
    list_filter = ("user",)
    search_fields = ("name", "prefix", "user__username")
    fields = ("user", "name")

    def has_change_permission(self, request, obj=None):
        return False  # nothing to edit: revoke and create a new one

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A staff member who may add tokens gets them for themselves; only a superuser issues one for someone else
        # (otherwise "add token" would be a way into any account).
        if db_field.name == "user" and not request.user.is_superuser:
            kwargs["queryset"] = get_user_model().objects.filter(pk=request.user.pk)
            kwargs["initial"] = request.user.pk
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        request._api_token_key = api_token_issue(token=obj)

    def response_add(self, request, obj, post_url_continue=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "token": obj,
            "key": request._api_token_key,
            "title": "API token created",
        }
        return TemplateResponse(request, "admin/warehouse/apitoken/created.html", context)
