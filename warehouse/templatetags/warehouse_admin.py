"""The admin index's "needs attention" block (warehouse/admin_selectors.py), as a template tag so the stock
AdminSite stays as it is."""

from django import template

from warehouse import admin_selectors, clock

register = template.Library()


@register.inclusion_tag("admin/warehouse/attention.html")
def admin_attention():
    return admin_selectors.admin_attention_get(today=clock.today())


@register.inclusion_tag("admin/date_hierarchy.html")
def month_hierarchy(cl):
    """Django's date drill-down for a `sale_month` list, with years and months read from the monthly aggregate (a few
    hundred rows) instead of a DISTINCT over every royalty line (seconds at a million): years, then the months of
    a year as `2024-12`. Sale months are first days, so there is no day level."""
    field = cl.date_hierarchy
    year, month = cl.params.get(f"{field}__year"), cl.params.get(f"{field}__month")
    months = admin_selectors.sale_months_list()

    def link(filters):
        return cl.get_query_string(filters, [f"{field}__"])

    if year and month:
        return {
            "show": True,
            "back": {"link": link({f"{field}__year": year}), "title": str(year)},
            "choices": [{"title": f"{int(year):04d}-{int(month):02d}"}],
        }
    if year:
        return {
            "show": True,
            "back": {"link": link({}), "title": "All months"},
            "choices": [
                {"link": link({f"{field}__year": year, f"{field}__month": m.month}), "title": m.strftime("%Y-%m")}
                for m in months
                if str(m.year) == str(year)
            ],
        }
    years = sorted({m.year for m in months})
    return {
        "show": True,
        "back": None,
        "choices": [{"link": link({f"{field}__year": y}), "title": str(y)} for y in years],
    }
