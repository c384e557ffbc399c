"""GET /api/statements and GET /api/statements/{id}: issued statements, staff only, in the API's envelope
(docs/API.md). Money is a decimal string with two places ("439.62"): statements are accounting, never floats."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from api import bodies as b
from api.authentication import TokenAuthentication
from api.pagination import ResourcePagination
from api.throttling import ThrottledViewMixin
from statements import selectors
from statements.models import Statement
from statements.periods import FORMATS, PeriodError, period_parse
from statements.renderers import money
from warehouse.models import Artist
from warehouse.selectors import BadParameter, ts

TOTALS = (
    "gross",
    "artist",
    "featured",
    "co_artists",
    "label",
    "held",
    "adjustments",
    "opening_balance",
    "payments",
    "closing_balance",
)
LINE_MONEY = ("gross", "artist", "co_artists", "label", "held")


def statement_json(doc: selectors.StatementDoc, *, lines: bool) -> dict:
    body = {
        "id": doc.id,
        "status": doc.status,
        "artist": doc.artist,
        "period": doc.period.label,
        "period_start": f"{doc.period.start:%Y-%m}",
        "period_end": f"{doc.period.end:%Y-%m}",
        "issued_at": ts(doc.issued_at),
        "issued_by": doc.issued_by,
        "checksum": doc.checksum,
        "totals": {"units": doc.totals.units, **{k: money(getattr(doc.totals, k)) for k in TOTALS}},
    }
    if lines:
        body["lines"] = [
            {
                "section": line.section,
                "kind": line.kind,
                "adjusts_period": line.adjusts_period or None,
                "owner": line.owner,
                "isrc": line.isrc,
                "title": line.title,
                "store": line.store,
                "units": line.units,
                "share_pct": selectors.decimal_text(line.share_pct),
                **{k: money(getattr(line, k)) for k in LINE_MONEY},
                "note": line.note,
            }
            for line in doc.lines
        ]
    return body


def _payments_json(statement: Statement) -> list[dict]:
    return [
        {
            "id": p.pk,
            "amount": money(p.amount),
            "paid_on": p.paid_on.isoformat(),
            "reference": p.reference,
            "counted_in": p.counted_in_id,
        }
        for p in statement.payments.order_by("paid_on", "id")
    ]


S, I = serializers.CharField, serializers.IntegerField
STATEMENT_TOTALS = b.obj("StatementTotals", {"units": I(), **{k: S() for k in TOTALS}})
STATEMENT_FIELDS = {
    "id": I(),
    "status": S(),
    "artist": S(),
    "period": S(),
    "period_start": S(),
    "period_end": S(),
    "issued_at": S(),
    "issued_by": S(),
    "checksum": S(),
    "totals": STATEMENT_TOTALS,
}
STATEMENT_LINE = b.obj(
    "StatementLine",
    {
        "section": S(),
        "kind": S(),
        "adjusts_period": S(allow_null=True),
        "owner": S(),
        "isrc": S(),
        "title": S(),
        "store": S(),
        "units": I(),
        "share_pct": S(allow_null=True),
        **{k: S() for k in LINE_MONEY},
        "note": S(),
    },
)
PAYMENT = b.obj(
    "StatementPayment", {"id": I(), "amount": S(), "paid_on": S(), "reference": S(), "counted_in": I(allow_null=True)}
)
STATEMENT = b.obj("Statement", {**STATEMENT_FIELDS, "lines": b.many(STATEMENT_LINE), "payments": b.many(PAYMENT)})
STATEMENT_SUMMARY = b.obj("StatementSummary", STATEMENT_FIELDS)
LIST_META = b.obj(
    "StatementListMeta",
    {"count": I(), "limit": I(), "offset": I(), "next": S(allow_null=True), "previous": S(allow_null=True)},
)


class StaffStatementView(ThrottledViewMixin, APIView):
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAdminUser]


class StatementListView(StaffStatementView):
    @extend_schema(
        operation_id="statements_list",
        parameters=[
            OpenApiParameter("artist", OpenApiTypes.STR, description="Artist name (any case)."),
            OpenApiParameter("period", OpenApiTypes.STR, description=f"Exact period: {FORMATS}."),
            OpenApiParameter("limit", OpenApiTypes.INT),
            OpenApiParameter("offset", OpenApiTypes.INT),
        ],
        responses={200: b.envelope("StatementListResponse", b.many(STATEMENT_SUMMARY), LIST_META), **b.ERROR_RESPONSES},
        summary="Issued royalty statements (staff)",
    )
    def get(self, request):
        artist = request.query_params.get("artist") or None
        if artist and (len(artist) > 200 or not artist.isprintable()):  # PostgreSQL refuses NUL in text
            raise BadParameter("artist", "not an artist's name")
        if artist and not Artist.objects.filter(name__iexact=artist).exists():
            raise BadParameter("artist", f"no artist named {artist[:100]!r}")
        period = None
        if request.query_params.get("period"):
            try:
                period = period_parse(request.query_params["period"])
            except PeriodError as exc:
                raise BadParameter("period", str(exc)[:200]) from None
        paginator = ResourcePagination()
        page = paginator.paginate_queryset(selectors.statement_list(artist=artist, period=period), request, view=self)
        return paginator.get_paginated_response(
            [statement_json(selectors.statement_doc_get(statement=st, with_lines=False), lines=False) for st in page]
        )


class StatementDetailView(StaffStatementView):
    @extend_schema(
        operation_id="statements_retrieve",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: b.envelope("StatementResponse", STATEMENT), 404: b.ERROR, **b.ERROR_RESPONSES},
        summary="One issued royalty statement with its lines and payments (staff)",
    )
    def get(self, request, pk: int):
        statement = Statement.objects.select_related("artist", "issued_by").filter(pk=pk).first()
        if statement is None:
            return Response({"success": False, "error": f"no statement {pk}"}, status=404)
        doc = selectors.statement_doc_get(statement=statement)
        data = {**statement_json(doc, lines=True), "payments": _payments_json(statement)}
        return Response(
            {
                "success": True,
                "data": data,
                "metadata": {"checksum_verified": selectors.statement_checksum(doc) == statement.checksum},
            }
        )
