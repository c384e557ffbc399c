"""The admin index's "needs attention" block (warehouse/admin_selectors.py), as a template tag so the stock
AdminSite stays as it is."""

from django import template
from django.utils import timezone

from warehouse import admin_selectors

register = template.Library()


@register.inclusion_tag("admin/warehouse/attention.html")
def admin_attention():
    return admin_selectors.admin_attention_get(today=timezone.localdate())
