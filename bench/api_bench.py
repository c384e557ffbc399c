"""Dashboard API latency at warehouse scale, served by real daphne processes in the production layout.

Builds a fresh SQLite warehouse directly in SQL (≥ 1M royalty lines over 10 years of Sale Months, 10 years of daily
distributor streams for both sources), rebuilds the aggregates exactly as a DK load does, and serves it the way
deploy/ does: N daphne workers (`--workers`, default one per core) started with the systemd template's command line
(`daphne -b 127.0.0.1 -p PORT`, one port each, production settings, TRUSTED_PROXIES=127.0.0.1/32 as in
deploy/bedrot.env.example, the Redis channel layer), behind Debian's nginx running deploy/nginx/bedrot.conf itself
(ports templated, TLS left out: tests.servers.nginx_conf, as tests/ops/test_nginx_proxy.py) when nginx is installed
(`--proxy nginx`), else with the clients spreading requests round-robin over the workers (`--proxy none`).
With --database-url the warehouse is copied into that PostgreSQL database (`manage.py copy_warehouse`) and served
from there.
20 concurrent clients, each with its own token (throttling on at the production rates), drive every dashboard
endpoint. In the same run it times the same figure as one raw SQL query over royalty_line (the baseline for the
ratio) and checks that the API's figures equal that fresh computation.

    .venv/bin/python bench/api_bench.py                   # 1,000,000 lines, 20 clients, one worker per core
    .venv/bin/python bench/api_bench.py --workers 1 --proxy none   # last session's layout: one daphne process
    .venv/bin/python bench/api_bench.py --lines 200000    # quicker
    .venv/bin/python bench/api_bench.py --database-url postgres://postgres@127.0.0.1:5432/bench_api   # PostgreSQL

Results: printed as a Markdown table; docs/PERFORMANCE.md (API section) records a run.
"""

import argparse
import itertools
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

from production_env import production_env

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))
from tests.servers import NGINX, nginx_conf  # noqa: E402  (the nginx test's rendering of deploy/nginx/bedrot.conf)

OUT = BASE / "bench" / "out"
DB = OUT / "api_bench.sqlite3"
CLIENTS = 20
ENDPOINTS = [
    "/api/kpis/summary",
    "/api/revenue/monthly",
    "/api/kpis/realtime",
    "/api/kpis/goals",
    "/api/kpis/alerts",
    "/api/revenue/distributor",
    "/api/revenue/platform",
    "/api/revenue/artist",
    "/api/revenue/delays",
    "/api/streaming/daily?days=30",
    "/api/streaming/summary",
    "/api/streaming/growth",
    "/api/kpis",
    "/api/streaming?granularity=month&start=2024-01-01&end=2025-12-31&group_by=source",
]
TARGETS = ["/api/kpis/summary", "/api/revenue/monthly"]
POSTGRES_URL = ""  # --database-url: the warehouse is served from this PostgreSQL database


def _env(cache_seconds: int, *, database_url: str | None = None, **extra: str) -> dict:
    # Throttling stays at the production rates: each client has its own token, far below 1200/min per user.
    url = POSTGRES_URL if database_url is None else database_url
    return production_env(
        database=DB, DATABASE_URL=url, API_CACHE_SECONDS=str(cache_seconds), LOG_LEVEL="WARNING", **extra
    )


def build_warehouse(lines: int) -> dict:
    """Schema by migrate, facts by set-based SQL (no loader), aggregates by the loader's own service."""
    OUT.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(str(DB) + suffix).unlink(missing_ok=True)
    os.environ.update(_env(60, database_url=""))  # built in SQLite, copied to PostgreSQL afterwards
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from warehouse import services
    from warehouse.models import LoadRun, SourceFile

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    with transaction.atomic():
        run = LoadRun.objects.create(status="succeeded", trigger="cli", started_at=timezone.now())
        dk = SourceFile.objects.create(
            load_run=run, kind="dk_bank_details", path="dk_bank_details.csv", sha256="0" * 64, status="loaded"
        )
        tidy = SourceFile.objects.create(
            load_run=run, kind="tidy_daily_streams", path="tidy_daily_streams.csv", sha256="1" * 64, status="loaded"
        )
        with connection.cursor() as cursor:
            for code in ("US", "GB", "DE", "FR", "BR", "JP", "CA", "AU", "MX"):
                cursor.execute("INSERT OR IGNORE INTO country (code, name) VALUES (%s, '')", [code])
            cursor.execute("SELECT id FROM artist WHERE name IN ('PIG1987', 'ZONE A0') ORDER BY name")
            pig, zone = [row[0] for row in cursor.fetchall()]
            cursor.execute("SELECT store, platform_id FROM store_alias ORDER BY store")
            stores = cursor.fetchall()
            cursor.execute("CREATE TEMP TABLE bench_store (k INTEGER PRIMARY KEY, store TEXT, platform_id INTEGER)")
            cursor.executemany(
                "INSERT INTO bench_store VALUES (%s, %s, %s)", [(i, s, p) for i, (s, p) in enumerate(stores)]
            )
            # 1M lines: Sale Months over 120 months from 2016-01, reporting 1..7 months later, ~8 % negative lines.
            cursor.execute(
                f"""
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %s)
                INSERT INTO royalty_line (reporting_date, sale_month, store, platform_id, artist_id, artist_raw,
                    track_id, isrc, upc, title, quantity, team_pct, song_or_album, country_code, withheld_usd,
                    earnings_usd, is_adjustment, row_hash, occurrence, first_seen_file_id, last_seen_file_id,
                    retracted_by_file_id, load_run_id, source_file_id, source_line)
                SELECT date(sm, '+' || (1 + i % 7) || ' months', '+' || (i % 27) || ' days'), sm, s.store,
                    s.platform_id, CASE WHEN i % 2 = 0 THEN {pig} ELSE {zone} END,
                    CASE WHEN i % 2 = 0 THEN 'PIG1987' ELSE 'ZONE A0' END, NULL, '', '', '', (i * 7919) % 500,
                    1000000, 'Song', CASE i % 9 WHEN 0 THEN 'US' WHEN 1 THEN 'GB' WHEN 2 THEN 'DE' WHEN 3 THEN 'FR'
                    WHEN 4 THEN 'BR' WHEN 5 THEN 'JP' WHEN 6 THEN 'CA' WHEN 7 THEN 'AU' ELSE 'MX' END, 0,
                    earnings, earnings < 0, printf('%%064x', i), 1, {dk.pk}, {dk.pk}, NULL, {run.pk}, {dk.pk}, i + 1
                FROM (SELECT i, date('2016-01-01', '+' || (i % 120) || ' months') AS sm,
                             CASE WHEN i % 13 = 0 THEN -((i * 48271) % 700000000)
                                  ELSE (i * 2654435761) % 9000000000 END AS earnings
                      FROM n) AS g
                JOIN bench_store s ON s.k = g.i % {len(stores)}
                """,
                [lines],
            )
            cursor.execute(
                f"""
                WITH RECURSIVE d(day) AS (SELECT date('2016-01-01') UNION ALL
                                          SELECT date(day, '+1 day') FROM d WHERE day < date('2025-12-31'))
                INSERT INTO distributor_daily_stream (date, source, spotify_streams, apple_streams, combined_streams,
                    is_partial, load_run_id, source_file_id, source_line)
                SELECT day, src, sp, ap, sp + ap, 0, {run.pk}, {tidy.pk}, 2
                FROM (SELECT day, src, 1000 + (julianday(day) * 37) % 3000 AS sp, 20 + (julianday(day) * 11) % 80 AS ap
                      FROM d CROSS JOIN (SELECT 'distrokid' AS src UNION ALL SELECT 'toolost'))
                """
            )
        generated = time.perf_counter() - started
        started = time.perf_counter()
        services.facts_changed(kind="dk_bank_details", source_file=dk)  # what the loader calls in the file's txn
        rebuilt = time.perf_counter() - started
        LoadRun.objects.filter(pk=run.pk).update(finished_at=timezone.now())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SELECT COUNT(*) FROM royalty_line")
        count = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM distributor_daily_stream")
        days = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM royalty_monthly_agg")
        agg_rows = cursor.fetchone()[0]
    connection.close()
    return {"lines": count, "stream_rows": days, "agg_rows": agg_rows, "generate_s": generated, "rebuild_s": rebuilt}


def reuse_warehouse(lines: int) -> dict | None:
    import sqlite3

    if not DB.exists():
        return None
    connection = sqlite3.connect(DB)
    count = connection.execute("SELECT COUNT(*) FROM royalty_line").fetchone()[0]
    info = {
        "lines": count,
        "stream_rows": connection.execute("SELECT COUNT(*) FROM distributor_daily_stream").fetchone()[0],
        "agg_rows": connection.execute("SELECT COUNT(*) FROM royalty_monthly_agg").fetchone()[0],
        "generate_s": float("nan"),
        "rebuild_s": float("nan"),
    }
    connection.close()
    return info if count == lines else None


RAW_SQL = {
    # The same figures as one query over the facts (what an endpoint without aggregates would run).
    "/api/kpis/summary": "SELECT SUM(earnings_usd), SUM(CASE WHEN earnings_usd >= 0 THEN quantity ELSE 0 END), "
    "COUNT(DISTINCT artist_id) FROM royalty_line WHERE retracted_by_file_id IS NULL",
    "/api/revenue/monthly": "SELECT sale_month, SUM(earnings_usd), COUNT(*), COUNT(DISTINCT store) FROM royalty_line "
    "WHERE retracted_by_file_id IS NULL GROUP BY sale_month ORDER BY sale_month",
}


def selector_timings() -> dict:
    """The two target figures computed in-process from the aggregates (no HTTP, no cache): median of 5."""
    os.environ.update(_env(0))
    import datetime as dt

    import django

    django.setup()
    from warehouse import selectors

    calls = {
        "/api/kpis/summary": selectors.kpi_summary_get,
        "/api/revenue/monthly": lambda: selectors.revenue_monthly_list(today=dt.date.today()),
    }
    result = {}
    for endpoint, call in calls.items():
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            call()
            timings.append((time.perf_counter() - started) * 1000)
        result[endpoint] = statistics.median(timings)
    return result


def copy_to_postgres() -> float:
    """The SQLite warehouse into POSTGRES_URL (an existing database, migrated here) with the project's own
    `copy_warehouse` (verified); seconds taken by the copy."""
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=BASE, env=_env(60), check=True)
    started = time.perf_counter()
    subprocess.run(
        [*manage, "copy_warehouse", "--to", POSTGRES_URL, "--replace"],
        cwd=BASE,
        env=_env(60, database_url=""),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def raw_sql_baseline() -> dict:
    import sqlite3

    import psycopg

    connection = psycopg.connect(POSTGRES_URL) if POSTGRES_URL else sqlite3.connect(DB)
    result = {}
    for endpoint, sql in RAW_SQL.items():
        timings, rows = [], None
        for _ in range(5):
            started = time.perf_counter()
            rows = [tuple(str(v) if hasattr(v, "isoformat") else v for v in row) for row in connection.execute(sql)]
            timings.append((time.perf_counter() - started) * 1000)
        result[endpoint] = {"ms": statistics.median(timings), "rows": rows}
    connection.close()
    return result


def client_tokens(count: int) -> list[str]:
    """One user and a new token per client (users get or create): each dashboard client is throttled on its own.
    Keys are stored hashed, so a reused warehouse gets fresh tokens."""
    os.environ.update(_env(0))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from warehouse.tokens import api_token_create

    tokens = []
    for index in range(count):
        user, created = get_user_model().objects.get_or_create(username=f"bench-client-{index:02d}")
        if created:
            user.set_password(secrets.token_urlsafe(12))
            user.save()
        tokens.append(api_token_create(user=user, name="bench")[1])
    connection.close()
    return tokens


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _log(what: str):
    """A server's stderr, kept in bench/out for after the run (a 500 logs its traceback there)."""
    return open(OUT / f"{what.replace(' ', '').replace(':', '-')}.log", "wb")


def _wait_healthy(port: int, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    log = OUT / f"{what.replace(' ', '').replace(':', '-')}.log"
    raise SystemExit(f"{what} did not start: {log.read_text(errors='replace')[-2000:]}")


class Servers:
    """N daphne workers as deploy/systemd runs them, and the address clients use: nginx's port, or each worker's
    port in turn (round-robin per request, as nginx's default upstream balancing does)."""

    def __init__(self, *, cache_seconds: int, workers: int, proxy: str, redis_url: str):
        self.processes: list[subprocess.Popen] = []
        extra = {"TRUSTED_PROXIES": "127.0.0.1/32", **({"REDIS_URL": redis_url} if redis_url else {})}
        try:
            ports = [_free_port() for _ in range(workers)]
            for port in ports:
                process = subprocess.Popen(
                    [
                        str(BASE / ".venv" / "bin" / "daphne"),
                        "-b",
                        "127.0.0.1",
                        "-p",
                        str(port),
                        "bedrot_site.asgi:application",
                    ],
                    cwd=BASE,
                    env=_env(cache_seconds, **extra),
                    stdout=subprocess.DEVNULL,
                    stderr=_log(f"daphne :{port}"),
                )
                self.processes.append(process)
            for port, process in zip(ports, self.processes):
                _wait_healthy(port, process, f"daphne :{port}")
            if proxy == "nginx":
                self.ports = [self._start_nginx(ports)]
            else:
                self.ports = ports
        except BaseException:
            self.stop()
            raise
        self._cycle = itertools.cycle(self.ports)
        self._lock = threading.Lock()

    def _start_nginx(self, worker_ports: list[int]) -> int:
        folder = OUT / "nginx"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        port = _free_port()
        conf = nginx_conf(folder, listen=port, workers=worker_ports)
        process = subprocess.Popen(
            [NGINX, "-p", str(folder), "-c", str(conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=_log("nginx"),
        )
        self.processes.append(process)
        _wait_healthy(port, process, "nginx")
        return port

    def next_port(self) -> int:
        with self._lock:
            return next(self._cycle)

    def stop(self) -> None:
        for process in reversed(self.processes):  # nginx first, then the workers
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def get(port: int, path: str, token: str, *, parse: bool = True) -> tuple[float, dict | None]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Token {token}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
        status = response.status
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200:
        raise SystemExit(f"{path}: HTTP {status}")
    return elapsed, json.loads(body) if parse else None


def hammer(servers: Servers, path: str, tokens: list[str], per_client: int, interval: float = 0.0) -> list[float]:
    """CLIENTS threads, each sending `per_client` requests with its own token, back to back (interval 0) or one
    every `interval` seconds (paced, starts staggered); returns every latency (ms). Bodies are not parsed here:
    the client shares the server's two cores, and correctness is asserted before the timing."""
    latencies: list[float] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def client(index: int):
        try:
            mine = []
            if interval:
                time.sleep(interval * index / CLIENTS)
            for _ in range(per_client):
                started = time.perf_counter()
                mine.append(get(servers.next_port(), path, tokens[index], parse=False)[0])
                time.sleep(max(0.0, interval - (time.perf_counter() - started)))
        except BaseException as exc:  # surfaced below: a benchmark with failed requests is not a result
            errors.append(exc)
            return
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"{path}: {errors[0]!r}")
    return latencies


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="reuse bench/out's warehouse if it has --lines lines")
    parser.add_argument("--requests", type=int, default=25, help="requests per client per endpoint (cached phase)")
    parser.add_argument("--cold-requests", type=int, default=5, help="requests per client, cache off, targets only")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between a paced client's requests")
    parser.add_argument("--paced-requests", type=int, default=10, help="requests per paced client")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="daphne processes, one port each (production: one per core; default %(default)s)",
    )
    parser.add_argument(
        "--proxy",
        choices=("nginx", "none"),
        default="nginx" if Path(NGINX).exists() else "none",
        help="nginx in front (default when installed), or clients round-robin over the workers",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/3"),
        help="channel layer for more than one worker, as in production ('' for in-memory)",
    )
    parser.add_argument("--database-url", default="", help="serve from this PostgreSQL database (copied into it)")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    global POSTGRES_URL
    POSTGRES_URL = args.database_url
    load_before = os.getloadavg()

    if args.build_only or not POSTGRES_URL:
        info = (reuse_warehouse(args.lines) if args.reuse else None) or build_warehouse(args.lines)
    if args.build_only:
        info["copy_s"] = copy_to_postgres()
        print(json.dumps(info))
        return
    if POSTGRES_URL:  # Django's settings are fixed at its first setup: the SQLite build runs in a child process
        child = subprocess.run(
            [sys.executable, __file__, *sys.argv[1:], "--build-only"], check=True, capture_output=True, text=True
        )
        info = json.loads(child.stdout.splitlines()[-1])
        print(f"copied to PostgreSQL (copy_warehouse, verified) in {info['copy_s']:.1f} s")
    print(
        f"warehouse: {info['lines']:,} royalty lines, {info['stream_rows']:,} daily stream rows, "
        f"{info['agg_rows']:,} aggregate rows; generated in {info['generate_s']:.1f} s, aggregates rebuilt "
        f"(facts_changed) in {info['rebuild_s']:.2f} s"
    )
    baseline = raw_sql_baseline()
    computed = selector_timings()
    tokens = client_tokens(CLIENTS)
    print("\nin-process, same run: the figure from the aggregates (selector) vs one raw SQL query over royalty_line\n")
    print("| endpoint | selector ms | raw SQL ms | selector / raw SQL |")
    print("|---|---:|---:|---:|")
    for endpoint, ms in computed.items():
        raw_ms = baseline[endpoint]["ms"]
        print(f"| `{endpoint}` | {ms:.1f} | {raw_ms:.1f} | {ms / raw_ms:.3f} |")

    results = {}
    for label, cache_seconds, endpoints, per_client, interval in (
        ("closed loop, cached", 60, ENDPOINTS, args.requests, 0.0),
        (f"paced {1 / args.interval:g} req/s per client, cached", 60, TARGETS, args.paced_requests, args.interval),
        ("closed loop, cache off", 0, TARGETS, args.cold_requests, 0.0),
        (f"paced {1 / args.interval:g} req/s per client, cache off", 0, TARGETS, args.paced_requests, args.interval),
    ):
        servers = Servers(
            cache_seconds=cache_seconds,
            workers=args.workers,
            proxy=args.proxy,
            redis_url=args.redis_url if args.workers > 1 else "",
        )
        try:
            # correctness: the API's figures equal the fresh raw-SQL computation, from every worker
            raw_net, raw_streams, _ = baseline["/api/kpis/summary"]["rows"][0]
            raw_months = baseline["/api/revenue/monthly"]["rows"]
            for _ in range(args.workers):
                _, summary = get(servers.next_port(), "/api/kpis/summary", tokens[0])
                assert Decimal(str(summary["data"]["total_revenue"])) == (Decimal(raw_net) / 10**10).quantize(
                    Decimal("0.01")
                )
                assert summary["data"]["total_streams"] == raw_streams
                _, monthly = get(servers.next_port(), "/api/revenue/monthly?include_expected=false", tokens[0])
                assert [(m["month"], m["transaction_count"]) for m in monthly["data"]] == [
                    (r[0][:7], r[2]) for r in raw_months
                ]
            for endpoint in endpoints:
                latencies = hammer(servers, endpoint, tokens, per_client, interval)
                results[(label, endpoint)] = latencies
        finally:
            servers.stop()

    load_after = os.getloadavg()
    layout = f"{args.workers} daphne process{'es' if args.workers > 1 else ''}"
    layout += (
        " behind nginx (least_conn)"
        if args.proxy == "nginx"
        else (", clients round-robin over them" if args.workers > 1 else "")
    )
    print(
        f"\n{CLIENTS} concurrent clients (one token each), {layout}, {'PostgreSQL' if POSTGRES_URL else 'SQLite WAL'}, "
        f"{os.cpu_count()} cores; "
        f"load average (1/5/15 min) before {'/'.join(f'{v:.2f}' for v in load_before)}, after "
        f"{'/'.join(f'{v:.2f}' for v in load_after)}; raw SQL = the same figure as one query over royalty_line\n"
    )
    print("| mode | endpoint | requests | p50 ms | p95 ms | raw SQL ms | p50 / raw SQL |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for (label, endpoint), latencies in results.items():
        raw = baseline.get(endpoint)
        raw_ms = f"{raw['ms']:.1f}" if raw else "—"
        ratio = f"{pct(latencies, 0.5) / raw['ms']:.2f}" if raw else "—"
        print(
            f"| {label} | `{endpoint}` | {len(latencies)} | {pct(latencies, 0.5):.1f} | {pct(latencies, 0.95):.1f} "
            f"| {raw_ms} | {ratio} |"
        )


if __name__ == "__main__":
    main()
