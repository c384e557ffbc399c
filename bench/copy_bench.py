"""The downtime of a move to PostgreSQL at scale: `manage.py copy_warehouse` on a warehouse the loader built from the
generated lake (bench/loader_generate.py), SQLite → PostgreSQL and back, against the baseline of rebuilding the same
warehouse from the lake with `load_curated` (which would lose what staff curated, users and lineage).

    .venv/bin/python bench/copy_bench.py --rows 1000000 --work /tmp/copy_bench \
        --pg postgres://postgres@127.0.0.1:5432

Each step runs as its own process, as an operator would run it; wall time and peak RSS per step.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg

BASE_DIR = Path(__file__).resolve().parent.parent


def run(args: list[str], env: dict) -> tuple[float, float, str]:
    """Seconds, peak RSS (MB) and output of one child process; fails loudly."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, *args], cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{output[-3000:]}")
    return seconds, usage.ru_maxrss / 1024, output


def database_env(*, sqlite: Path | None = None, url: str | None = None) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bedrot_site.settings_test", "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL" if sqlite else "DATABASE_PATH", None)
    env.update({"DATABASE_PATH": str(sqlite)} if sqlite else {"DATABASE_URL": url})
    return env


def fresh_pg(base: str, name: str) -> str:
    with psycopg.connect(f"{base.replace('postgres://', 'postgresql://')}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432", help="PostgreSQL server (no database)")
    args = parser.parse_args()
    lake = args.work / "lake"
    if not (lake / "a" / "4_curated" / "dk_bank_details.csv").is_file():
        run(["bench/loader_generate.py", "--rows", str(args.rows), "--out", str(lake)], dict(os.environ))
    source, back = args.work / "source.db", args.work / "back.db"
    for path in (source, back):
        for leftover in path.parent.glob(path.name + "*"):
            leftover.unlink()
    target_url = fresh_pg(args.pg, "bench_copy_target")
    for env in (database_env(sqlite=source), database_env(sqlite=back), database_env(url=target_url)):
        run(["manage.py", "migrate", "-v0"], env)

    results = []
    seconds, rss, _ = run(["manage.py", "load_curated", "--lake", str(lake / "a")], database_env(sqlite=source))
    results.append(("baseline: load_curated from the lake into SQLite", seconds, rss))
    seconds, rss, output = run(["manage.py", "copy_warehouse", "--to", target_url], database_env(sqlite=source))
    results.append(("copy_warehouse SQLite → PostgreSQL", seconds, rss))
    print(output.strip().splitlines()[-1])
    seconds, rss, output = run(
        ["manage.py", "copy_warehouse", "--to", f"sqlite:///{back}"], database_env(url=target_url)
    )
    results.append(("copy_warehouse PostgreSQL → SQLite", seconds, rss))
    print(output.strip().splitlines()[-1])

    baseline = results[0][1]
    print(f"\n{args.rows} generated DK lines; each step a separate process\n")
    print("| step | wall s | × baseline | peak RSS MB |\n|---|---|---|---|")
    for name, seconds, rss in results:
        print(f"| {name} | {seconds:.1f} | {seconds / baseline:.2f} | {rss:.0f} |")


if __name__ == "__main__":
    main()
