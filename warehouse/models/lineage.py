"""Lineage: load runs, the source files they read, the rows they quarantined, and the columns every fact row carries
to point back at its run, file and line."""

from django.db import models


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
        ADMIN = "admin", "staff change in the admin"  # master data changed (warehouse/services/curation.py), not a load

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
        "the file's rows rank as that copy (newest wins whatever the order).",
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
