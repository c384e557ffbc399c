from django import template

from statements.renderers import money
from statements.selectors import decimal_text

register = template.Library()


@register.filter
def usd(value):
    return money(value)


@register.filter
def pct(value):
    return f"{decimal_text(value)} %"


@register.filter
def sections(doc):
    return doc.sections()
