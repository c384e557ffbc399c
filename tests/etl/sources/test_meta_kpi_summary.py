"""Meta kpi_summary (contract §2.7): a formatted report, recorded `ignored`, never loaded."""

import pytest

from tests.etl.helpers import fact_tables, table_fingerprint
from tests.etl.sources.conftest import load
from warehouse.models import SourceFile

pytestmark = pytest.mark.django_db


def test_kpi_summary_is_ignored_and_writes_nothing(lake_copy):
    empty = {table: table_fingerprint(table) for table in fact_tables()}
    code, files, _ = load(lake_copy, "--source", "meta_kpi_summary")
    assert code == 0
    assert {path: (entry["kind"], entry["status"], entry["rows_read"]) for path, entry in files.items()} == {
        "metaads/kpi_summary_20250527.csv": ("meta_kpi_summary", "ignored", 0),
        "metaads/kpi_summary_latest.csv": ("meta_kpi_summary", "ignored", 0),
    }
    assert {table: table_fingerprint(table) for table in fact_tables()} == empty
    assert not SourceFile.objects.filter(kind="meta_kpi_summary", status="loaded").exists()
