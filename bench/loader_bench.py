"""Benchmark `load_curated` on a 1M-row DistroKid snapshot against a plain sqlite3 executemany upsert.

    .venv/bin/python bench/loader_generate.py --rows 1000000 --out /tmp/bench_lake
    .venv/bin/python bench/loader_bench.py --lake /tmp/bench_lake --work /tmp/bench_work

Steps: first load (a), rerun over the unchanged lake, newer 1 %-different snapshot (b), then b reformatted (c: no
record byte-identical, the worst case for the raw-fingerprint shortcut). Each measurement is its own
`manage.py load_curated --json` process (the real CLI path) on a fresh migrated
SQLite file; peak RSS comes from wait4(). The baseline runs in this process, in the same run, on a copy of the same
empty database: csv.reader → Decimal/ints → the same row hash → one `executemany` of
`INSERT … ON CONFLICT (row_hash, occurrence) DO UPDATE` into `royalty_line` in one transaction.
"""

import argparse
import csv
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCALE = 10**10


def env_for(db: Path) -> dict:
    return {**os.environ, "DATABASE_PATH": str(db), "DJANGO_DEBUG": "true", "DJANGO_SETTINGS_MODULE": "bedrot_site.settings",
            "LOG_LEVEL": "WARNING", "DATABASE_URL": ""}


def manage(db: Path, *args: str) -> tuple[float, int, str]:
    """Run manage.py; return (wall seconds, peak RSS in MB, stdout)."""
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=env_for(db),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = "", ""
    _, status, usage = os.wait4(process.pid, 0)
    out = process.stdout.read()
    err = process.stderr.read()
    wall = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"manage.py {' '.join(args)} failed: {err}")
    return wall, usage.ru_maxrss // 1024, out


def load(db: Path, lake: Path) -> dict:
    wall, rss, out = manage(db, "load_curated", "--lake", str(lake), "--source", "dk_bank_details", "--json")
    payload = json.loads(out)
    entry = payload["files"][0]
    return {"wall_s": round(wall, 2), "run_s": payload["duration_s"], "rss_mb": rss, "status": entry["status"],
            "inserted": entry["rows_inserted"], "unchanged": entry["rows_unchanged"], "read": entry["rows_read"]}


def units(text: str) -> int:
    return int(Decimal(text).scaleb(10))


def baseline(db: Path, csv_path: Path) -> dict:
    """Plain sqlite3: parse each row, hash it, executemany upsert into the same royalty_line table."""
    started = time.monotonic()
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("PRAGMA foreign_keys=ON")
    con.create_function("REGEXP", 2, lambda pattern, value: re.search(pattern, value or "") is not None)  # as Django
    stores = dict(con.execute("SELECT store, platform_id FROM store_alias"))
    artists = {name: pk for pk, name in con.execute("SELECT id, name FROM artist")}
    with open(csv_path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        rows = list(reader)
    con.execute("BEGIN IMMEDIATE")
    now = dt.datetime.now(dt.UTC).isoformat()
    run = con.execute("INSERT INTO load_run (created_at, status, trigger, options, files_loaded, files_skipped, "
                      "files_rejected, files_ignored, rows_changed, rows_quarantined, progress, error) "
                      "VALUES (?, 'running', 'cli', '{}', 0, 0, 0, 0, 0, 0, '{}', '')", [now]).lastrowid
    source = con.execute("INSERT INTO source_file (load_run_id, kind, path, sha256, size_bytes, schema_variant, status, "
                         "reason, message, rows_read, rows_inserted, rows_updated, rows_unchanged, rows_quarantined, "
                         "rows_retracted, rows_ignored, counters, loaded_at) VALUES (?, 'dk_bank_details', "
                         "'dk_bank_details.csv', '', 0, '', 'loaded', '', '', 0, 0, 0, 0, 0, 0, 0, '{}', ?)",
                         [run, now]).lastrowid
    countries = {r[10] or "NA" for r in rows}
    con.executemany("INSERT OR IGNORE INTO country (code, name) VALUES (?, '')", [(c,) for c in countries])
    tracks = {}
    for r in rows:
        tracks.setdefault(r[5], r)
    con.executemany("INSERT OR IGNORE INTO track (isrc, title, upc, release_type, needs_review, created_at) "
                    "VALUES (?, ?, ?, '', 1, ?)", [(isrc, r[4], r[6], now) for isrc, r in tracks.items()])
    track_ids = dict(con.execute("SELECT isrc, id FROM track"))
    seen: Counter = Counter()

    def params():
        for line, r in enumerate(rows, start=2):
            country = r[10] or "NA"
            earnings, withheld, team = units(r[12]), units(r[11]), int(Decimal(r[8]).scaleb(4))
            normalised = (r[0], r[1] + "-01", r[2], r[3], r[4], r[5], r[6], r[7], str(team), r[9], country,
                          str(withheld), str(earnings))
            row_hash = hashlib.sha256("\x1f".join(normalised).encode()).hexdigest()
            seen[row_hash] += 1
            yield (r[0], r[1] + "-01", r[2], stores.get(r[2]), artists.get(r[3]), r[3], track_ids.get(r[5]), r[5],
                   r[6], r[4], int(r[7]), team, r[9], country, withheld, earnings, earnings < 0, row_hash,
                   seen[row_hash], source, source, run, source, line)

    con.executemany(
        "INSERT INTO royalty_line (reporting_date, sale_month, store, platform_id, artist_id, artist_raw, track_id, "
        "isrc, upc, title, quantity, team_pct, song_or_album, country_code, withheld_usd, earnings_usd, "
        "is_adjustment, row_hash, occurrence, first_seen_file_id, last_seen_file_id, load_run_id, source_file_id, "
        "source_line) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (row_hash, occurrence) DO UPDATE SET last_seen_file_id = excluded.last_seen_file_id "
        "WHERE royalty_line.last_seen_file_id IS NOT excluded.last_seen_file_id",
        params(),
    )
    con.execute("COMMIT")
    (count,) = con.execute("SELECT count(*) FROM royalty_line").fetchone()
    con.close()
    return {"run_s": round(time.monotonic() - started, 2), "rows": count}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", type=Path, required=True, help="output folder of loader_generate.py")
    parser.add_argument("--work", type=Path, required=True, help="scratch folder for the databases")
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    empty, loader_db, baseline_db = args.work / "empty.db", args.work / "loader.db", args.work / "baseline.db"
    manage(empty, "migrate", "--skip-checks", "-v0")
    for target in (loader_db, baseline_db):
        with sqlite3.connect(empty) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
    csv_a = args.lake / "a" / "4_curated" / "dk_bank_details.csv"

    first = load(loader_db, args.lake / "a")
    print("first load", first, file=sys.stderr, flush=True)
    rerun = load(loader_db, args.lake / "a")
    print("rerun", rerun, file=sys.stderr, flush=True)
    newer = load(loader_db, args.lake / "b")
    print("newer", newer, file=sys.stderr, flush=True)
    reformatted = load(loader_db, args.lake / "c")
    print("reformatted", reformatted, file=sys.stderr, flush=True)
    base = baseline(baseline_db, csv_a)
    print("baseline", base, file=sys.stderr, flush=True)
    rows = first["inserted"]
    results = {
        "rows": rows,
        "first_load": first,
        "baseline": base,
        "throughput_rows_per_s": {"load_curated": round(rows / first["run_s"]), "baseline": round(rows / base["run_s"])},
        "throughput_ratio": round(base["run_s"] / first["run_s"], 2),
        "rerun_unchanged": rerun,
        "newer_snapshot_1pct": newer,
        "newer_vs_first_load": round(newer["run_s"] / first["run_s"], 2),
        "reformatted_snapshot": reformatted,
        "reformatted_vs_first_load": round(reformatted["run_s"] / first["run_s"], 2),
        "peak_rss_mb": max(step["rss_mb"] for step in (first, rerun, newer, reformatted)),
    }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
