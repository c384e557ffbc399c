"""A load never commits a royalty line that names a row which does not exist. On PostgreSQL the loader
checks royalty_line's foreign keys once per key instead of row by row at COMMIT (etl.merge.foreign_keys_checked_once);
the constraints stay in the schema, and a bad reference is still refused. Real transactions (transaction=True):
inside a test's transaction no deferred check would ever run."""

import pytest
from django.db import connection

from etl.sources import dk_bank_details
from tests.etl.helpers import by_path, run_loader
from warehouse.models import RoyaltyLine, SourceFile

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DK = "dk_bank_details.csv"
MISSING_PLATFORM = 987_654


def royalty_line_foreign_keys() -> dict[str, tuple[str, str, str]]:
    """column → (constraint name, referenced table, referenced column), from the database's catalogue."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "royalty_line")
    return {c["columns"][0]: (name, *c["foreign_key"]) for name, c in constraints.items() if c["foreign_key"]}


def test_the_constraints_stay_in_the_schema():
    assert {column: (table, key) for column, (_, table, key) in royalty_line_foreign_keys().items()} == {
        "platform_id": ("platform", "id"),
        "artist_id": ("artist", "id"),
        "track_id": ("track", "id"),
        "country_code": ("country", "code"),
        "load_run_id": ("load_run", "id"),
        "source_file_id": ("source_file", "id"),
        "first_seen_file_id": ("source_file", "id"),
        "last_seen_file_id": ("source_file", "id"),
        "retracted_by_file_id": ("source_file", "id"),
    }


def test_a_first_load_naming_a_missing_platform_is_refused_whole(sample_lake, monkeypatch):
    """A resolver bug that hands out a platform id which does not exist: the first load (the set-based path on
    PostgreSQL) is rejected and leaves no royalty line."""
    resolve = dk_bank_details.services.store_alias_resolve

    def broken(**kwargs):
        return {store: MISSING_PLATFORM for store in resolve(**kwargs)}

    monkeypatch.setattr(dk_bank_details.services, "store_alias_resolve", broken)
    code, payload, _ = run_loader("--lake", str(sample_lake), "--source", "dk_bank_details")
    entry = by_path(payload)[DK]
    if connection.vendor == "postgresql":
        name = royalty_line_foreign_keys()["platform_id"][0]
        cause = f'IntegrityError: insert or update on table "royalty_line" violates foreign key constraint "{name}"'
    else:  # SQLite checks its deferred constraints at COMMIT
        cause = "IntegrityError: FOREIGN KEY constraint failed"
    assert (code, entry["status"], entry["reason"]) == (1, "rejected", "load_error")
    assert list(SourceFile.objects.values_list("status", "message")) == [
        ("rejected", f"{DK}: rejected (load_error): {cause}")
    ]
    assert RoyaltyLine.objects.count() == 0


def test_a_clean_first_load_and_rerun_commit_every_line(lake_copy):
    """The same file through the set-based path: every line committed, then a newer copy keeps them all."""
    assert run_loader("--lake", str(lake_copy), "--source", "dk_bank_details")[0] == 0
    first = SourceFile.objects.get(status="loaded")
    path = lake_copy / "4_curated" / DK
    path.write_bytes(path.read_bytes() + b"\n")  # new bytes, same records: every line kept
    code, payload, _ = run_loader("--lake", str(lake_copy), "--source", "dk_bank_details")
    newer = SourceFile.objects.exclude(pk=first.pk).get(status="loaded")
    assert (code, by_path(payload)[DK]["rows_unchanged"]) == (0, 8635)
    assert RoyaltyLine.objects.filter(first_seen_file=first, last_seen_file=newer).count() == 8635
