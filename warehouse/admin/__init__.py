"""The Django admin: staff curate master data here; facts and lineage are read-only.

Master data (artists, tracks, platforms, aliases) is editable, with import/export (CSV, XLSX) through
django-import-export resources in `warehouse/resources.py`. The "Unmatched names" page lists what loads could
not map (aliases, store names, campaign titles and campaigns) and maps each one with a choice and a click.
Fact and lineage tables are the loader's: viewable and filterable, never added, changed or deleted here.
Importing this package (Django's admin autodiscovery) registers every ModelAdmin of its modules.
"""

from django.contrib import admin

from warehouse.admin import facts, lineage, mapping, master, tokens  # noqa: F401  (register their ModelAdmins)

admin.site.site_header = "BEDROT warehouse"
admin.site.site_title = "BEDROT warehouse"
admin.site.index_title = "Master data, facts and load lineage"
admin.site.index_template = "admin/warehouse/index.html"
