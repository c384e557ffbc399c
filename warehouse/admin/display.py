"""How the admin shows values to a label's staff: money to the cent with its currency, shares as percent, months as
`2024-12`, and every fact's lineage (file, line, quarantined rows of that file) as links."""

from decimal import ROUND_HALF_UP, Decimal

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

CENT = Decimal("0.01")


def money(value: Decimal | None, currency: str = "USD") -> str:
    """`1,234.57 USD`; stored values keep their 10 decimals, only the display rounds (half up, like the API)."""
    if value is None:
        return "—"
    return f"{Decimal(value).quantize(CENT, ROUND_HALF_UP):,.2f} {currency}"


def percent(value: Decimal | None) -> str:
    """`100 %`, `33.33 %`: a share stored as 100.0000000000 shown the way staff write it."""
    if value is None:
        return "—"
    shown = Decimal(value).quantize(CENT, ROUND_HALF_UP).normalize()
    return f"{shown:f} %"


def month(value) -> str:
    return value.strftime("%Y-%m") if value else "—"


def money_column(field: str, description: str):
    """A list column showing `field` as money, sortable by the stored value."""

    @admin.display(description=description, ordering=field)
    def show(obj):
        return money(getattr(obj, field))

    show.__name__ = f"{field}_money"
    return show


def month_column(field: str, description: str):
    @admin.display(description=description, ordering=field)
    def show(obj):
        return month(getattr(obj, field))

    show.__name__ = f"{field}_month"
    return show


def source_file_link(source_file, line: int | None = None) -> str:
    if source_file is None:
        return "—"
    url = reverse("admin:warehouse_sourcefile_change", args=[source_file.pk])
    if line is None:
        return format_html('<a href="{}">{}</a>', url, source_file.path)
    return format_html('<a href="{}">{}</a>, line {}', url, source_file.path, line)


def quarantined_rows_link(source_file) -> str:
    """The quarantined rows of one file (the changelist filtered by `source_file`), or "none"."""
    count = source_file.rows_quarantined
    if not count:
        return "none"
    url = reverse("admin:warehouse_quarantinedrow_changelist") + f"?source_file={source_file.pk}"
    return format_html('<a href="{}">{} quarantined row{}</a>', url, count, "" if count == 1 else "s")
