"""Admin: the Statements section (staff only). Issued statements are read-only; the draft preview computes an
artist's statement for a period, downloads it, and issues it; payments are recorded against issued statements."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from statements import renderers, selectors, services
from statements.models import Statement, StatementPayment
from statements.periods import FORMATS, PeriodError, period_parse
from warehouse.load_lock import LoadLockBusy, load_lock
from warehouse.models import Artist


class PreviewForm(forms.Form):
    artist = forms.ModelChoiceField(queryset=Artist.objects.order_by("name"))
    period = forms.CharField(max_length=20, help_text=FORMATS, initial="2025-Q1")

    def clean_period(self):
        try:
            return period_parse(self.cleaned_data["period"])
        except PeriodError as exc:
            raise forms.ValidationError(str(exc)) from None


def _download(doc: selectors.StatementDoc, ext: str) -> HttpResponse:
    if ext == "csv":
        response = HttpResponse(renderers.statement_csv(doc), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(renderers.statement_pdf(doc), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{renderers.statement_filename(doc, ext)}"'
    return response


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin):
    list_display = ("__str__", "artist", "period_label", "issued_at", "gross_usd", "closing_usd", "checksum_short")
    list_filter = ("artist", "period_label")
    date_hierarchy = "issued_at"
    change_list_template = "admin/statements/statement/change_list.html"

    @admin.display(description="gross")
    def gross_usd(self, obj):
        return renderers.money(obj.gross)

    @admin.display(description="closing balance")
    def closing_usd(self, obj):
        return renderers.money(obj.closing_balance)

    @admin.display(description="checksum")
    def checksum_short(self, obj):
        return obj.checksum[:12]

    def has_add_permission(self, request):
        return False  # issued through the draft preview only

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("preview/", wrap(self.preview_view), name="statements_statement_preview"),
            path("<int:pk>/download/<str:ext>/", wrap(self.download_view), name="statements_statement_download"),
            *super().get_urls(),
        ]

    def _require(self, request, perm: str):
        if not (request.user.is_staff and request.user.has_perm(f"statements.{perm}_statement")):
            raise PermissionDenied

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._require(request, "view")
        statement = get_object_or_404(Statement.objects.select_related("artist", "issued_by"), pk=object_id)
        doc = selectors.statement_doc_get(statement=statement)
        return TemplateResponse(
            request,
            "admin/statements/statement/detail.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": str(statement),
                "doc": doc,
                "statement": statement,
                "verified": selectors.statement_checksum(doc) == statement.checksum,
                "payments": statement.payments.order_by("paid_on", "id"),
                "csv_url": reverse("admin:statements_statement_download", args=[statement.pk, "csv"]),
                "pdf_url": reverse("admin:statements_statement_download", args=[statement.pk, "pdf"]),
                "payment_url": reverse("admin:statements_statementpayment_add") + f"?statement={statement.pk}",
            },
        )

    def download_view(self, request, pk: int, ext: str):
        self._require(request, "view")
        if ext not in ("csv", "pdf"):
            raise PermissionDenied
        statement = get_object_or_404(Statement.objects.select_related("artist"), pk=pk)
        return _download(selectors.statement_doc_get(statement=statement), ext)

    def preview_view(self, request):
        """GET ?artist=&period=: the draft (download=csv|pdf for its files); POST: issue it."""
        self._require(request, "view")
        form = PreviewForm(request.POST if request.method == "POST" else (request.GET or None))
        doc = None
        if form.is_bound and form.is_valid():
            artist, period = form.cleaned_data["artist"], form.cleaned_data["period"]
            if request.method == "POST":
                self._require(request, "add")
                try:
                    with load_lock(wait=5, abort_stale=False):
                        statement = services.statement_issue(artist=artist, period=period, issued_by=request.user)
                except (services.StatementRefused, LoadLockBusy) as exc:
                    messages.error(request, f"Not issued: {exc}")
                else:
                    messages.success(request, f"Issued statement #{statement.pk} for {artist} {period}.")
                    return redirect("admin:statements_statement_change", statement.pk)
            existing = selectors.statement_list(artist=artist.name, period=period).first()
            if existing is not None and request.method == "GET" and "download" not in request.GET:
                messages.info(request, f"{artist} {period} is issued already: statement #{existing.pk}.")
                return redirect("admin:statements_statement_change", existing.pk)
            doc = selectors.statement_draft_get(artist=artist, period=period)
            if request.GET.get("download") in ("csv", "pdf"):
                return _download(doc, request.GET["download"])
        query = f"?artist={form['artist'].value()}&period={form['period'].value()}" if doc else ""
        return TemplateResponse(
            request,
            "admin/statements/statement/preview.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": "Statement draft preview",
                "form": form,
                "doc": doc,
                "csv_url": f"{query}&download=csv",
                "pdf_url": f"{query}&download=pdf",
                "overlap": doc
                and selectors.statement_overlapping_get(artist=form.cleaned_data["artist"], period=doc.period),
                "can_issue": request.user.has_perm("statements.add_statement"),
            },
        )


class PaymentForm(forms.ModelForm):
    class Meta:
        model = StatementPayment
        fields = ["statement", "amount", "paid_on", "reference"]

    def clean_amount(self):
        if not self.cleaned_data["amount"]:
            raise forms.ValidationError("A payment cannot be 0 (a negative amount reverses one).")
        return self.cleaned_data["amount"]


@admin.register(StatementPayment)
class StatementPaymentAdmin(admin.ModelAdmin):
    form = PaymentForm
    list_display = ("statement", "amount_usd", "paid_on", "reference", "recorded_by", "counted_in_link")
    list_filter = ("statement__artist",)

    @admin.display(description="amount")
    def amount_usd(self, obj):
        return renderers.money(obj.amount)

    @admin.display(description="counted in")
    def counted_in_link(self, obj):
        if not obj.counted_in_id:
            return "next statement"
        url = reverse("admin:statements_statement_change", args=[obj.counted_in_id])
        return format_html('<a href="{}">#{}</a>', url, obj.counted_in_id)

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request)  # the list, never an edit: reverse instead

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        payment = services.statement_payment_record(
            statement=obj.statement,
            amount=obj.amount,
            paid_on=obj.paid_on,
            reference=obj.reference,
            recorded_by=request.user,
        )
        obj.pk, obj._state.adding = payment.pk, False  # the admin logs and redirects to the stored payment
