"""Load runs, source files and quarantined rows: where every fact came from and what was refused, read-only."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from warehouse import models as m
from warehouse.admin import display as show
from warehouse.admin.base import ReadOnlyAdmin
from warehouse.admin.filters import (
    FileKindFilter,
    FileLoadRunFilter,
    LoadRunFilter,
    QuarantineSourceFileFilter,
    SourceKindFilter,
)


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


@admin.register(m.QuarantinedRow)
class QuarantinedRowAdmin(ReadOnlyAdmin):
    list_display = ("source", "column", "reason", "message")
    list_filter = ("reason", QuarantineSourceFileFilter, SourceKindFilter, FileLoadRunFilter)
    list_select_related = ("source_file",)
    search_fields = ("message", "raw", "source_file__path")

    @admin.display(description="file, line", ordering="source_file_id")
    def source(self, obj):
        return show.source_file_link(obj.source_file, obj.line)
