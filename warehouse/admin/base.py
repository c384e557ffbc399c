"""The two kinds of ModelAdmin: master data, saved through warehouse/services/curation.py, and the loader's facts and lineage,
read-only."""

from django.contrib import admin
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html

from warehouse import services
from warehouse.admin import display as show


class StaffMedia:
    css = {"all": ["warehouse/admin.css"]}  # a static file: no inline style under the Content-Security-Policy


class CurationAdmin(admin.ModelAdmin):
    """Master data: every save and delete, inlines included, goes through `warehouse/services/curation.py`, so a change
    made here reaches loaded facts, the aggregates, the API cache and `/ws` clients in its own transaction."""

    Media = StaffMedia

    def save_model(self, request, obj, form, change):
        services.master_data_save(instance=obj, user=request.user)

    def delete_model(self, request, obj):
        services.master_data_delete(instance=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                services.master_data_delete(instance=obj, user=request.user)

    def save_formset(self, request, form, formset, change):
        for obj in formset.save(commit=False):
            services.instance_save(instance=obj, user=request.user)
        for obj in formset.deleted_objects:
            services.master_data_delete(instance=obj, user=request.user)
        formset.save_m2m()


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
