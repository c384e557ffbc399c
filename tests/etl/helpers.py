"""Reusable helpers for loader tests: run the command, fingerprint the fact tables, write curated files."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

from django.core.management import call_command
from django.db import connection

CURATED = "4_curated"

# Columns left out of a fingerprint: surrogate ids and lineage that legitimately differs between equal loads
# (raw_fingerprint: the text of the record that last wrote a DK row, e.g. under a reordered header; the tidy
# window ranks, which carry the writing file's timestamp).
LINEAGE = {
    "id",
    "load_run_id",
    "source_file_id",
    "source_line",
    "first_seen_file_id",
    "last_seen_file_id",
    "raw_fingerprint",
    "window_rank",
    "spotify_rank",
    "apple_rank",
}


def run_loader(*args: str) -> tuple[int, dict | None, str]:
    """call_command("load_curated", *args, "--json") → (exit code, parsed JSON or None, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("load_curated", *args, "--json", stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code)
    text = out.getvalue().strip()
    return code, (json.loads(text) if text else None), err.getvalue()


def by_path(payload: dict) -> dict[str, dict]:
    return {entry["path"]: entry for entry in payload["files"]}


def fact_tables() -> list[str]:
    """Every fact table: rows carry load lineage (a load_run_id column); the lineage records themselves are not facts."""
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        return sorted(
            t
            for t in tables
            if t != "source_file"
            and "load_run_id" in {c.name for c in connection.introspection.get_table_description(cursor, t)}
        )


def table_fingerprint(table: str) -> tuple[int, str]:
    """(row count, sha256 over every content column of every row, in a canonical order). A retraction shows as
    `retracted_by_file_id` being set or not, never by which file retracted."""
    with connection.cursor() as cursor:
        columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
        content = [c for c in columns if c not in LINEAGE]
        select = [
            f"CASE WHEN {c} IS NULL THEN 0 ELSE 1 END" if c == "retracted_by_file_id" else connection.ops.quote_name(c)
            for c in content
        ]
        cursor.execute(f"SELECT {', '.join(select)} FROM {connection.ops.quote_name(table)}")
        rows = sorted(tuple("" if v is None else str(v) for v in row) for row in cursor.fetchall())
    digest = hashlib.sha256("\n".join("\x1f".join(r) for r in rows).encode()).hexdigest()
    return len(rows), digest


def fingerprint() -> dict[str, tuple[int, str]]:
    return {table: table_fingerprint(table) for table in fact_tables()}


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def write_csv(path: Path, header: list[str], rows: list[list[str]], *, line_end: str = "\n") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=line_end)
    writer.writerow(header)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    return path


def curated(lake: Path, name: str) -> Path:
    return lake / CURATED / name
