"""B4 `GET /api/financial`: money series keyed by name (revenue, expected, expenses, ad_spend)."""

from __future__ import annotations

from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncMonth

from warehouse.models import BusinessExpense, Campaign, DistributorDailyStream
from warehouse.selectors.common import ZERO, BadParameter, Buckets, as_date, month_end, revenue_rates_get
from warehouse.selectors.meta import meta_facts_get, meta_latest_date
from warehouse.selectors.royalty import active_lines
from warehouse.selectors.series import (
    ROYALTY_DIMENSIONS,
    SeriesFilters,
    check_dimensions,
    period_label,
    platform_slugs,
    royalty_lines_filtered,
    series_metadata,
    series_range,
    streams_by_platform,
)

FINANCIAL_SERIES = ("revenue", "expected", "expenses", "ad_spend")
_FINANCIAL_DIMENSIONS = {
    "revenue": {"artist", "isrc", "platform", "store", "country"},
    "expected": {"source", "platform"},
    "expenses": {"category"},
    "ad_spend": {"artist", "campaign_id"},
}


def _revenue_date_field(basis: str) -> str:
    return "sale_month" if basis == "sale_month" else "reporting_date"


def _financial_revenue(*, filters, start, end, granularity, basis) -> list[dict]:
    date_field = _revenue_date_field(basis)
    qs = royalty_lines_filtered(filters).filter(**{f"{date_field}__gte": start, f"{date_field}__lte": end})
    group = [d for d in ROYALTY_DIMENSIONS if d in filters.group_by]
    period_expr = {"p": TruncMonth(date_field)} if granularity == "month" else {}
    values = [date_field if not period_expr else "p", *(ROYALTY_DIMENSIONS[d] for d in group)]
    rows = (
        qs.annotate(**period_expr)
        .values(*values)
        .annotate(
            net=Sum("earnings_usd"),
            gross=Sum("earnings_usd", filter=Q(earnings_usd__gt=0)),
            adjustments=Sum("earnings_usd", filter=Q(earnings_usd__lt=0)),
            quantity=Sum("quantity", filter=Q(earnings_usd__gte=0)),
            lines=Count("id"),
        )
    )
    buckets = Buckets()
    for row in rows:
        period = period_label(as_date(row["p"] if period_expr else row[date_field]), granularity)
        dims = {d: row[ROYALTY_DIMENSIONS[d]] if d in group else None for d in ROYALTY_DIMENSIONS}
        buckets.add(
            (period, *dims.values()),
            {
                "period": period,
                **dims,
                "net_usd": ZERO,
                "gross_usd": ZERO,
                "adjustments_usd": ZERO,
                "quantity": 0,
                "line_count": 0,
            },
            net_usd=row["net"] or ZERO,
            gross_usd=row["gross"] or ZERO,
            adjustments_usd=row["adjustments"] or ZERO,
            quantity=row["quantity"] or 0,
            line_count=row["lines"],
        )
    return buckets.rows()


def _financial_expected(*, filters, start, end, granularity, basis) -> list[dict]:
    rates = revenue_rates_get()
    platforms = platform_slugs(filters)
    buckets = Buckets()
    rows = DistributorDailyStream.objects.filter(date__gte=start, date__lte=end)
    for row in rows.values("date", "source", "spotify_streams", "apple_streams"):
        period = period_label(row["date"], granularity)
        for platform, streams in streams_by_platform(row, platforms):
            key = (
                period,
                row["source"] if "source" in filters.group_by else None,
                platform if "platform" in filters.group_by else None,
            )
            start_row = {"period": period, "source": key[1], "platform": key[2], "streams": 0, "expected_usd": ZERO}
            buckets.add(key, start_row, streams=streams, expected_usd=streams * rates[platform])
    return buckets.rows()


def _financial_expenses(*, filters, start, end, granularity, basis) -> list[dict]:
    buckets = Buckets()
    for row in BusinessExpense.objects.filter(date__gte=start, date__lte=end).values("date", "category", "amount_usd"):
        period = period_label(row["date"], granularity)
        key = (period, row["category"] if "category" in filters.group_by else None)
        start_row = {"period": period, "category": key[1], "amount_usd": ZERO, "line_count": 0}
        buckets.add(key, start_row, amount_usd=row["amount_usd"], line_count=1)
    return buckets.rows()


def _financial_ad_spend(*, filters, start, end, granularity, basis) -> list[dict]:
    facts = meta_facts_get(start=start, end=end)
    campaigns = {c["pk"]: c for c in Campaign.objects.values("pk", "campaign_id", "artist__name", "artist_id")}
    buckets = Buckets()
    for day, row in [(r["date"], r) for r in facts.daily] + [(w["date_stop"], w) for w in facts.windows]:
        campaign = campaigns[row["campaign_id"]]
        if filters.artist and campaign["artist_id"] != filters.artist.pk:
            continue
        period = period_label(day, granularity)
        key = (
            period,
            campaign["artist__name"] if "artist" in filters.group_by else None,
            campaign["campaign_id"] if "campaign_id" in filters.group_by else None,
        )
        buckets.add(
            key,
            {
                "period": period,
                "artist": key[1],
                "campaign_id": key[2],
                "spend_usd": ZERO,
                "impressions": 0,
                "clicks": 0,
            },
            spend_usd=row["spend"],
            impressions=row["impressions"],
            clicks=row["clicks"],
        )
    return buckets.rows()


_FINANCIAL_BUILDERS = {
    "revenue": _financial_revenue,
    "expected": _financial_expected,
    "expenses": _financial_expenses,
    "ad_spend": _financial_ad_spend,
}


def _newest_date(series: list[str], basis: str):
    """The newest date over the requested series: the default end of the range."""
    readers = {
        "revenue": lambda: active_lines().aggregate(d=Max(_revenue_date_field(basis)))["d"],
        "expected": lambda: DistributorDailyStream.objects.aggregate(d=Max("date"))["d"],
        "expenses": lambda: BusinessExpense.objects.aggregate(d=Max("date"))["d"],
        "ad_spend": lambda: meta_latest_date(meta_facts_get()),
    }
    dates = [d for d in (readers[name]() for name in FINANCIAL_SERIES if name in series) if d]
    if not dates:
        return None
    if basis == "sale_month" and "revenue" in series:  # a Sale Month covers its whole calendar month
        return month_end(max(dates))
    return max(dates)


def financial_series_get(*, filters: SeriesFilters, series: list[str], basis: str = "sale_month") -> tuple[dict, dict]:
    """B4 `GET /api/financial`: money series keyed by name."""
    granularity = filters.granularity or "month"
    if basis == "sale_month" and "revenue" in series and granularity != "month":
        raise BadParameter("granularity", 'basis "sale_month" is monthly: granularity must be "month"')
    newest = _newest_date(series, basis) if filters.end is None else None
    start, end = series_range(start=filters.start, end=filters.end, granularity=granularity, newest=newest)
    if granularity == "month":
        start = start.replace(day=1)
    data = {}
    for name in series:
        check_dimensions(filters, source=name, available=_FINANCIAL_DIMENSIONS[name])
        data[name] = _FINANCIAL_BUILDERS[name](
            filters=filters, start=start, end=end, granularity=granularity, basis=basis
        )
    metadata = series_metadata(
        filters=filters.resolved(start, end, granularity, series=series, basis=basis),
        source=",".join(series),
        granularity=granularity,
        row_count=sum(len(rows) for rows in data.values()),
    )
    return data, metadata
