"""Benchmark `load_curated` on a 1M-row DistroKid snapshot, on SQLite or PostgreSQL, against plain baselines.

    .venv/bin/python bench/loader_generate.py --rows 1000000 --out /tmp/bench_lake
    .venv/bin/python bench/loader_bench.py --lake /tmp/bench_lake --work /tmp/bench_work              # SQLite
    .venv/bin/python bench/loader_bench.py --lake /tmp/bench_lake --work /tmp/bench_work \\
        --database-url postgres://postgres@127.0.0.1:5432/bench_me                                   # PostgreSQL

Steps: first load (a), rerun over the unchanged lake, newer 1 %-different snapshot (b), then b reformatted (c: no
record byte-identical, the worst case for the raw-fingerprint shortcut). Each is its own `manage.py load_curated
--json` process (the real CLI path) on one freshly migrated database; peak RSS comes from wait4(). With
--database-url the databases are `<name>`, `<name>_empty` (the migrated template) and `<name>_base`; they are
dropped and re-created.

Baselines, in this process and run, on a copy of the same empty database (same schema):
- plain: csv.reader → Decimal/ints → the same row hash → the rows sorted by identity (row_hash, occurrence), then one
  `executemany` of `INSERT … ON CONFLICT (row_hash, occurrence) DO UPDATE` into `royalty_line`, one transaction —
  the strongest plain method on the real table (sorted: the unique index fills page by page).
On SQLite each step also reports `write_lock_held_s`: the longest time a concurrent writer could not get the
database's write lock (WriteLockProbe), i.e. how long a web write (refresh, admin login) would wait.
- lean ceiling: the same columns into a table with only a primary key: the database's own bulk path for text
  (SQLite: the sqlite3 shell's `.import`; PostgreSQL: COPY) + one INSERT … SELECT converting the types. Money is
  converted in SQL (REAL on SQLite), so it is a speed ceiling, not a correct loader.
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
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = (
    "reporting_date, sale_month, store, platform_id, artist_id, artist_raw, track_id, isrc, upc, title, "
    "quantity, team_pct, song_or_album, country_code, withheld_usd, earnings_usd, is_adjustment, row_hash, "
    "occurrence, first_seen_file_id, last_seen_file_id, load_run_id, source_file_id, source_line"
)


class Target:
    """Where the loader and the baselines write: SQLite files under --work, or PostgreSQL databases."""

    def __init__(self, work: Path, url: str | None):
        self.work, self.url = work, url
        self.postgres = bool(url)
        if url:
            self.name = urlsplit(url).path.lstrip("/")

    def _url(self, name: str) -> str:
        return urlunsplit(urlsplit(self.url)._replace(path=f"/{name}"))

    def env(self, which: str) -> dict:
        env = {
            **os.environ,
            "DJANGO_DEBUG": "true",
            "DJANGO_SETTINGS_MODULE": "bedrot_site.settings",
            "LOG_LEVEL": "WARNING",
            "DATABASE_URL": "",
            "DATABASE_PATH": str(self.work / f"{which}.db"),
        }
        if self.postgres:
            env["DATABASE_URL"] = self._url(self.name if which == "loader" else f"{self.name}_{which}")
        return env

    def prepare(self) -> None:
        """Migrate an empty database once; the loader's and the baseline's start as copies of it."""
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir(parents=True)
        if self.postgres:
            import psycopg

            with psycopg.connect(self._url("postgres"), autocommit=True) as admin:
                for name in (self.name, f"{self.name}_base", f"{self.name}_empty"):
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{self.name}_empty"')
                manage(self.env("empty"), "migrate", "--skip-checks", "-v0")
                for name in (self.name, f"{self.name}_base"):
                    admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.name}_empty"')
            return
        manage(self.env("empty"), "migrate", "--skip-checks", "-v0")
        for which in ("loader", "base"):
            with sqlite3.connect(self.work / "empty.db") as source, sqlite3.connect(self.work / f"{which}.db") as copy:
                source.backup(copy)

    def connect(self):
        """A DB-API connection to the baseline database, in autocommit (transactions are explicit)."""
        if self.postgres:
            import psycopg

            return psycopg.connect(self.env("base")["DATABASE_URL"], autocommit=True)
        con = sqlite3.connect(self.work / "base.db", isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute("PRAGMA foreign_keys=ON")
        con.execute("PRAGMA cache_size=-49152")  # as load_curated
        con.create_function("REGEXP", 2, lambda pattern, value: re.search(pattern, value or "") is not None)
        return con

    def sql(self, text: str) -> str:
        return text if self.postgres else text.replace("%s", "?")


def manage(env: dict, *args: str) -> tuple[float, int, str]:
    """Run manage.py; return (wall seconds, peak RSS in MB, stdout)."""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(process.pid, 0)
    out, err = process.stdout.read(), process.stderr.read()
    wall = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"manage.py {' '.join(args)} failed: {err}")
    return wall, usage.ru_maxrss // 1024, out


class WriteLockProbe(threading.Thread):
    """SQLite: every 0.1 s a writer tries BEGIN IMMEDIATE (what a web write needs) with a 50 ms busy timeout; the
    longest stretch it could not get the main database's write lock is how long the load held it."""

    def __init__(self, db: Path):
        super().__init__(daemon=True)
        self.db, self.done, self.blocked_since, self.longest = db, threading.Event(), None, 0.0

    def run(self) -> None:
        con = sqlite3.connect(self.db, timeout=0.05, isolation_level=None)
        while not self.done.wait(0.1):
            now = time.monotonic()
            try:
                con.execute("BEGIN IMMEDIATE")
                con.execute("ROLLBACK")
                self.blocked_since = None
            except sqlite3.OperationalError:
                self.blocked_since = self.blocked_since or now
                self.longest = max(self.longest, now - self.blocked_since)
        con.close()


def load(target: Target, lake: Path) -> dict:
    probe = None if target.postgres else WriteLockProbe(target.work / "loader.db")
    if probe:
        probe.start()
    wall, rss, out = manage(
        target.env("loader"), "load_curated", "--lake", str(lake), "--source", "dk_bank_details", "--json"
    )
    payload = json.loads(out)
    entry = payload["files"][0]
    result = {
        "wall_s": round(wall, 2),
        "run_s": payload["duration_s"],
        "rss_mb": rss,
        "status": entry["status"],
        "reason": entry["reason"],
        "inserted": entry["rows_inserted"],
        "unchanged": entry["rows_unchanged"],
        "read": entry["rows_read"],
    }
    if probe:
        probe.done.set()
        probe.join()
        result["write_lock_held_s"] = round(probe.longest, 1)
    return result


def units(text: str) -> int:
    return int(Decimal(text).scaleb(10))


def _lineage(con, target: Target) -> tuple[int, int]:
    now = dt.datetime.now(dt.UTC).isoformat()
    returning = " RETURNING id" if target.postgres else ""
    run = con.execute(
        target.sql(
            "INSERT INTO load_run (created_at, status, trigger, options, files_loaded, files_skipped, files_rejected, "
            "files_ignored, rows_changed, rows_quarantined, progress, error) "
            "VALUES (%s, 'running', 'cli', '{}', 0, 0, 0, 0, 0, 0, '{}', '')" + returning
        ),
        [now],
    )
    run_id = run.fetchone()[0] if target.postgres else run.lastrowid
    source = con.execute(
        target.sql(
            "INSERT INTO source_file (load_run_id, kind, path, sha256, size_bytes, schema_variant, status, reason, "
            "message, rows_read, rows_inserted, rows_updated, rows_unchanged, rows_quarantined, rows_retracted, "
            "rows_ignored, counters, loaded_at) VALUES (%s, 'dk_bank_details', 'dk_bank_details.csv', '', 0, '', "
            "'loaded', '', '', 0, 0, 0, 0, 0, 0, 0, '{}', %s)" + returning
        ),
        [run_id, now],
    )
    return run_id, source.fetchone()[0] if target.postgres else source.lastrowid


def baseline(target: Target, csv_path: Path) -> dict:
    """Plain DB-API: parse each row, hash it, sort by identity, executemany upsert into the same royalty_line."""
    started = time.monotonic()
    con = target.connect()
    stores = dict(con.execute("SELECT store, platform_id FROM store_alias").fetchall())
    artists = {name: pk for pk, name in con.execute("SELECT id, name FROM artist").fetchall()}
    con.execute("BEGIN" if target.postgres else "BEGIN IMMEDIATE")
    run, source = _lineage(con, target)
    now = dt.datetime.now(dt.UTC).isoformat()
    seen: Counter = Counter()
    rows, countries, tracks = [], set(), {}
    with open(csv_path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for line, r in enumerate(reader, start=2):
            country = r[10] or "NA"
            earnings, withheld, team = units(r[12]), units(r[11]), int(Decimal(r[8]).scaleb(4))
            normalised = (
                r[0],
                r[1] + "-01",
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                r[7],
                str(team),
                r[9],
                country,
                str(withheld),
                str(earnings),
            )
            row_hash = hashlib.sha256("\x1f".join(normalised).encode()).hexdigest()
            seen[row_hash] += 1
            countries.add(country)
            tracks.setdefault(r[5], (r[5], r[4], r[6], now))
            rows.append(
                (
                    r[0],
                    r[1] + "-01",
                    r[2],
                    stores.get(r[2]),
                    artists.get(r[3]),
                    r[3],
                    r[5],
                    r[5],
                    r[6],
                    r[4],
                    int(r[7]),
                    team,
                    r[9],
                    country,
                    withheld,
                    earnings,
                    earnings < 0,
                    row_hash,
                    seen[row_hash],
                    source,
                    source,
                    run,
                    source,
                    line,
                )
            )
    conflict = "ON CONFLICT (code) DO NOTHING" if target.postgres else ""
    ignore = "" if target.postgres else "OR IGNORE "
    cur = con.cursor()
    cur.executemany(
        target.sql(f"INSERT {ignore}INTO country (code, name) VALUES (%s, '') {conflict}"), [(c,) for c in countries]
    )
    cur.executemany(
        target.sql(
            f"INSERT {ignore}INTO track (isrc, title, upc, release_type, needs_review, created_at) "
            f"VALUES (%s, %s, %s, '', true, %s) {conflict.replace('code', 'isrc')}"
        ),
        list(tracks.values()),
    )
    track_ids = dict(con.execute("SELECT isrc, id FROM track").fetchall())
    rows = [(*r[:6], track_ids.get(r[6]), *r[7:]) for r in rows]
    rows.sort(key=lambda r: (r[17], r[18]))
    cur.executemany(
        target.sql(
            f"INSERT INTO royalty_line ({COLUMNS}) VALUES ({', '.join(['%s'] * 24)}) "
            "ON CONFLICT (row_hash, occurrence) DO UPDATE SET last_seen_file_id = excluded.last_seen_file_id "
            "WHERE royalty_line.last_seen_file_id IS DISTINCT FROM excluded.last_seen_file_id"
        ),
        rows,
    )
    con.execute("COMMIT")
    elapsed = time.monotonic() - started
    (count,) = con.execute("SELECT count(*) FROM royalty_line").fetchone()
    con.close()
    return {"run_s": round(elapsed, 2), "rows": count}


_LEAN = (
    "CREATE TABLE lean_line (id INTEGER PRIMARY KEY, reporting_date DATE, sale_month DATE, store TEXT, "
    "artist_raw TEXT, title TEXT, isrc TEXT, upc TEXT, quantity BIGINT, team_pct BIGINT, song_or_album TEXT, "
    "country_code TEXT, withheld_usd BIGINT, earnings_usd BIGINT, source_line BIGINT)"
)
_RAW = "CREATE TABLE lean_raw (" + ", ".join(f"c{i} TEXT" for i in range(13)) + ")"
_FILL = (
    "INSERT INTO lean_line (reporting_date, sale_month, store, artist_raw, title, isrc, upc, quantity, team_pct, "
    "song_or_album, country_code, withheld_usd, earnings_usd) SELECT {date}(c0), {date}(c1 || '-01'), c2, c3, "
    "c4, c5, c6, CAST(c7 AS BIGINT), CAST(c8 AS BIGINT) * 10000, c9, coalesce(nullif(c10, ''), 'NA'), "
    "CAST(ROUND(CAST(c11 AS {num}) * 10000000000) AS BIGINT), "
    "CAST(ROUND(CAST(c12 AS {num}) * 10000000000) AS BIGINT) FROM lean_raw"
)


def lean_ceiling(target: Target, csv_path: Path) -> dict:
    """The database's own bulk text path into a table with only a primary key, then one INSERT … SELECT."""
    con = target.connect()
    con.execute("DROP TABLE IF EXISTS lean_line")
    con.execute("DROP TABLE IF EXISTS lean_raw")
    con.execute(_LEAN.replace("INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY") if target.postgres else _LEAN)
    con.execute(_RAW)
    started = time.monotonic()
    if target.postgres:
        con.execute("BEGIN")
        with con.cursor().copy("COPY lean_raw FROM STDIN (FORMAT csv, HEADER true)") as copy, open(csv_path, "rb") as f:
            while block := f.read(1 << 20):
                copy.write(block)
        con.execute(_FILL.format(date="date", num="numeric"))
        con.execute("COMMIT")
    else:
        con.close()
        # .import into an existing table reads the header as data: skip it
        subprocess.run(
            ["sqlite3", str(target.work / "base.db")],
            check=True,
            text=True,
            input=f".mode csv\nBEGIN;\n.import --skip 1 {csv_path} lean_raw\n"
            f"{_FILL.format(date='date', num='REAL')};\nCOMMIT;\n",
        )
        con = target.connect()
    elapsed = time.monotonic() - started
    (count,) = con.execute("SELECT count(*) FROM lean_line").fetchone()
    con.close()
    return {"run_s": round(elapsed, 2), "rows": count}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", type=Path, required=True, help="output folder of loader_generate.py")
    parser.add_argument("--work", type=Path, required=True, help="scratch folder (SQLite files)")
    parser.add_argument("--database-url", help="a PostgreSQL database to (re)create and measure instead of SQLite")
    parser.add_argument("--skip-baselines", action="store_true", help="measure load_curated only")
    args = parser.parse_args()
    target = Target(args.work, args.database_url)
    target.prepare()
    csv_a = args.lake / "a" / "4_curated" / "dk_bank_details.csv"
    steps = {}
    for name, lake in (
        ("first_load", "a"),
        ("rerun_unchanged", "a"),
        ("newer_snapshot_1pct", "b"),
        ("reformatted_snapshot", "c"),
    ):
        steps[name] = load(target, args.lake / lake)
        print(name, steps[name], file=sys.stderr, flush=True)
    first = steps["first_load"]
    rows = first["inserted"]
    results = {
        "database": "postgresql" if target.postgres else "sqlite",
        "rows": rows,
        **steps,
        "newer_vs_first_load": round(steps["newer_snapshot_1pct"]["run_s"] / first["run_s"], 2),
        "reformatted_vs_first_load": round(steps["reformatted_snapshot"]["run_s"] / first["run_s"], 2),
        "peak_rss_mb": max(step["rss_mb"] for step in steps.values()),
    }
    if not args.skip_baselines:
        plain = baseline(target, csv_a)
        print("baseline", plain, file=sys.stderr, flush=True)
        lean = lean_ceiling(target, csv_a)
        print("lean ceiling", lean, file=sys.stderr, flush=True)
        results |= {
            "baseline_sorted_executemany": plain,
            "lean_ceiling": lean,
            "rows_per_s": {
                "load_curated": round(rows / first["run_s"]),
                "baseline": round(rows / plain["run_s"]),
                "lean_ceiling": round(rows / lean["run_s"]),
            },
            "first_load_vs_baseline": round(plain["run_s"] / first["run_s"], 2),
            "first_load_vs_lean_ceiling": round(lean["run_s"] / first["run_s"], 2),
        }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
