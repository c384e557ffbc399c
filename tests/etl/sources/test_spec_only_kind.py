"""A kind declared only by a spec (no transform, no hook) loads through the shared pipeline: each variant's target
(a fact table, master data through a service writer, rows held for staff), the in-file duplicate rule, quarantine
and lineage, as docs/LOADER.md "Writing a kind" promises a newcomer."""

from decimal import Decimal

import pytest

from etl import sources
from etl.sources import Column, Facts, Held, Records, SourceSpec, Variant
from etl.validation import date, decimal_units, integer, text
from tests.etl.sources.conftest import counts, load, put
from warehouse import services
from warehouse.models import AdAccountDaily, Campaign, LoadRun, QuarantinedRow, SourceFile

pytestmark = pytest.mark.django_db

SPEND = Variant(
    "daily",
    (
        Column("date", "date", date()),
        Column("spend_usd", "spend_usd", decimal_units(min_value=0)),
        Column("impressions", "impressions", integer()),
        Column("clicks", "clicks", integer()),
        Column("reach", "reach", integer()),
    ),
    Facts(
        table="ad_account_daily",
        fields={"date": "date", "spend_usd": "int", "impressions": "int", "clicks": "int", "reach": "int"},
        key=("date",),
    ),
)
NOTES = Variant(
    "notes",
    (Column("date", "date", date()), Column("note", "note", text())),
    Held(column="note", reason="awaiting_staff", message="note: awaiting_staff (kept for review, never loaded)"),
)
SPECS = (
    SourceSpec(
        kind="test_account_spend",
        patterns=(r"spend/account_spend_(?P<ts>\d{8}_\d{6})\.csv",),
        variants=(SPEND, NOTES),
    ),
    SourceSpec(
        kind="test_campaign_names",
        patterns=(r"campaign_names\.csv",),
        variants=(
            Variant(
                "v1",
                (Column("id", "campaign_id", text(required=True)), Column("name", "name", text(required=True))),
                Records(
                    write=services.campaign_upsert,
                    fields={"campaign_id": "text", "name": "text"},
                    key=("campaign_id",),
                    context=("source_file", "queue_unknown"),
                ),
            ),
        ),
    ),
)
DAILY = "spend/account_spend_20250101_000000.csv"
HELD = "spend/account_spend_20250102_000000.csv"
NAMES = "campaign_names.csv"


@pytest.fixture
def spec_only(monkeypatch):
    sources.registry()  # the real kinds first, then the test-only ones beside them for this test
    for spec in SPECS:
        monkeypatch.setitem(sources._REGISTRY, spec.kind, spec)


def quarantine(path: str) -> list[tuple]:
    return list(
        QuarantinedRow.objects.filter(source_file__path=path)
        .order_by("line")
        .values_list("line", "column", "reason", "raw")
    )


def test_a_spec_only_kind_loads_with_lineage_quarantine_and_duplicates(lake, spec_only):
    header = ["date", "spend_usd", "impressions", "clicks", "reach"]
    put(
        lake,
        DAILY,
        header,
        [
            ["2025-01-01", "10.50", 100, 5, 80],
            ["2025-01-02", "7.25", 50, 2, 40],
            ["2025-01-02", "7.25", 50, 2, 40],  # identical copy: collapsed, counted
            ["2025-01-03", "1", 10, 1, 9],  # same key, different spend: both copies quarantined
            ["2025-01-03", "2", 10, 1, 9],
            ["2025-01-04", "NaN", 10, 1, 9],  # bad_number
        ],
    )
    put(lake, HELD, ["date", "note"], [["2025-01-05", "check"], ["2025-01-06", "again"]])
    put(lake, NAMES, ["id", "name"], [["120200000000000001", "Spring push"], ["120200000000000002", "Summer"]])

    code, files, _ = load(lake, "--max-bad-ratio", "0.6")

    assert code == 0
    assert counts(files[DAILY]) == ("loaded", 6, 2, 0, 0, 3, None)
    assert counts(files[HELD]) == ("loaded", 2, 0, 0, 0, 2, None)  # all held, never rejected as too many bad
    assert counts(files[NAMES]) == ("loaded", 2, 2, 0, 0, 0, None)
    run = LoadRun.objects.get()
    daily = SourceFile.objects.get(path=DAILY)
    assert (daily.kind, daily.schema_variant, daily.load_run_id, daily.counters) == (
        "test_account_spend",
        "daily",
        run.pk,
        {"duplicates_identical": 1},
    )
    assert SourceFile.objects.get(path=HELD).schema_variant == "notes"
    rows = AdAccountDaily.objects.order_by("date").values_list(
        "date", "spend_usd", "impressions", "clicks", "reach", "load_run_id", "source_file_id", "source_line"
    )
    assert [(str(d), *rest) for d, *rest in rows] == [
        ("2025-01-01", Decimal("10.5"), 100, 5, 80, run.pk, daily.pk, 2),
        ("2025-01-02", Decimal("7.25"), 50, 2, 40, run.pk, daily.pk, 3),
    ]
    assert quarantine(DAILY) == [
        (5, "date", "duplicate_key_conflict", "2025-01-03,1,10,1,9"),
        (6, "date", "duplicate_key_conflict", "2025-01-03,2,10,1,9"),
        (7, "spend_usd", "bad_number", "2025-01-04,NaN,10,1,9"),
    ]
    assert quarantine(HELD) == [
        (2, "note", "awaiting_staff", "2025-01-05,check"),
        (3, "note", "awaiting_staff", "2025-01-06,again"),
    ]
    names = SourceFile.objects.get(path=NAMES)
    assert list(Campaign.objects.order_by("campaign_id").values_list("campaign_id", "name", "source_file_id")) == [
        ("120200000000000001", "Spring push", names.pk),
        ("120200000000000002", "Summer", names.pk),
    ]

    code, files, _ = load(lake, "--max-bad-ratio", "0.6", "--force")
    assert code == 0
    assert counts(files[DAILY]) == ("loaded", 6, 0, 0, 2, 3, None)
    assert counts(files[NAMES]) == ("loaded", 2, 0, 0, 2, 0, None)
    assert AdAccountDaily.objects.count() == 2
