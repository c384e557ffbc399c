"""`metaads/kpi_summary_<YYYYMMDD>.csv` and `…_latest.csv`: a formatted report (`$1,889.10`, `0.59%`), derived
from the other Meta files. Not a fact source (§2.7): recognised so it is reported `ignored`, never read."""

from __future__ import annotations

from etl.sources import Column, SourceSpec, Variant, register
from etl.validation import text

SPEC = register(
    SourceSpec(
        kind="meta_kpi_summary",
        patterns=(r"metaads/kpi_summary_(?P<ts>\d{8})\.csv", r"metaads/kpi_summary_latest\.csv"),
        variants=(
            Variant(
                "v1",
                (
                    Column("metric", "metric", text()),
                    Column("value", "value", text()),
                    Column("period", "period", text()),
                ),
            ),
        ),
        not_loaded=True,
    )
)
