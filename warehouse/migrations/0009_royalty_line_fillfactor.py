"""PostgreSQL: royalty_line pages keep half their space free (fillfactor 50).

Every newer DistroKid snapshot sets `last_seen_file` on each kept line (contract §2.1): ~1M rows rewritten. With
full pages PostgreSQL writes each new row version to another page and adds it to every index (37 s at 1M lines);
with room on the page the update is HOT (same page, no index entry), 20× less work. The table takes ~2× the disk.
Applies to rows written from now on; `VACUUM FULL royalty_line` repacks an existing warehouse. SQLite: nothing.
"""

from django.db import migrations


def fillfactor(value: int):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE royalty_line SET (fillfactor = {value})")

    return apply


class Migration(migrations.Migration):
    dependencies = [("warehouse", "0008_api_token_hashed")]

    operations = [migrations.RunPython(fillfactor(50), fillfactor(100))]
