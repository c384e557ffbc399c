"""Import/export of master data (CSV, XLSX) through django-import-export resources in `warehouse/resources.py`:
bounded in size, all or nothing, never under a running load."""

import csv
import io
import logging
from collections.abc import Iterator
from itertools import islice

import openpyxl
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponseRedirect
from django.urls import reverse
from import_export.admin import ImportExportModelAdmin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ImportForm

from warehouse.admin.base import CurationAdmin
from warehouse.load_lock import LoadLockBusy, load_lock

logger = logging.getLogger(__name__)


class BoundedImportForm(ImportForm):
    """Refuses a file over ADMIN_IMPORT_MAX_BYTES or ADMIN_IMPORT_MAX_ROWS before import-export reads it whole
    (a 10 MB preview took minutes and hundreds of MB). Django has already streamed the upload to a temporary file in
    64 KiB chunks (in memory only below FILE_UPLOAD_MAX_MEMORY_SIZE), so its size is known without reading it; rows
    are then counted as they stream, and the count stops one row past the bound."""

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
        limit = settings.ADMIN_IMPORT_MAX_ROWS
        if upload_rows_count(upload=upload, stop_after=limit) > limit:
            raise forms.ValidationError(
                f"{upload.name} has more than {limit:,} rows (ADMIN_IMPORT_MAX_ROWS). "
                "Split the file and import the parts."
            )
        return cleaned


def upload_rows_count(*, upload: UploadedFile, stop_after: int) -> int:
    """Data rows below the header, read one at a time as import-export will read them (CSV records; XLSX rows of
    the active sheet in openpyxl's streaming read-only mode), stopping at `stop_after + 1`. 0 for a file neither
    reader understands: import-export then reports it as unreadable."""
    upload.seek(0)
    is_xlsx = upload.read(4).startswith(b"PK")
    upload.seek(0)
    rows = _xlsx_rows(upload) if is_xlsx else _csv_rows(upload)
    try:
        return max(sum(1 for _ in islice(rows, stop_after + 2)) - 1, 0)  # + 2: the header and one row too many
    except Exception:  # not a CSV or workbook after all: import-export reports it as unreadable
        return 0
    finally:
        rows.close()  # the reader's own clean-up (below) before the upload is rewound for import-export
        upload.seek(0)


def _csv_rows(upload: UploadedFile) -> Iterator[list[str]]:
    # import-export decodes with utf-8-sig (from_encoding); undecodable bytes still make a row here
    text = io.TextIOWrapper(upload.file, encoding="utf-8-sig", errors="replace", newline="")
    try:
        yield from csv.reader(text)
    finally:
        text.detach()  # leave the upload open for import-export


def _xlsx_rows(upload: UploadedFile) -> Iterator[tuple]:
    book = openpyxl.load_workbook(upload, read_only=True, data_only=True)
    try:
        yield from book.active.iter_rows(values_only=True)  # `sheet.rows`, as import-export's XLSX reader
    finally:
        book.close()


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
