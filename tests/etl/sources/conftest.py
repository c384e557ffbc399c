"""Fixtures for the per-kind loader tests: an empty lake to write contract-built files into, and a loader call
that returns the run's JSON plus each file's quarantined rows."""

from pathlib import Path

import pytest

from tests.etl.helpers import CURATED, by_path, curated, run_loader, write_csv
from warehouse.models import QuarantinedRow


@pytest.fixture
def lake(tmp_path) -> Path:
    root = tmp_path / "lake"
    (root / CURATED).mkdir(parents=True)
    return root


def put(lake: Path, name: str, header: list[str], rows: list[list]) -> Path:
    return write_csv(curated(lake, name), header, [[str(v) for v in row] for row in rows])


def load(lake: Path, *args: str) -> tuple[int, dict[str, dict], str]:
    code, payload, err = run_loader("--lake", str(lake), *args)
    return code, by_path(payload), err


def quarantined(path: str) -> list[tuple[int, str]]:
    """(line, reason) of the quarantined rows of every load of `path`, in line order."""
    return sorted(QuarantinedRow.objects.filter(source_file__path=path).values_list("line", "reason").distinct())


def counts(entry: dict) -> tuple:
    return (
        entry["status"],
        entry["rows_read"],
        entry["rows_inserted"],
        entry["rows_updated"],
        entry["rows_unchanged"],
        entry["rows_quarantined"],
        entry["reason"],
    )
