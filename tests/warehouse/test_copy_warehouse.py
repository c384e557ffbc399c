"""`manage.py copy_warehouse --to <DATABASE_URL>`: the test database (SQLite in one pass of the suite,
PostgreSQL in the other) is copied to the other backend and back, each copy by the real command in its own process;
every table is compared row by row through the ORM, and the `/api/kpis` body computed on the copy's own server
settings equals the source's. Refusals and a failure in the middle of the copy leave the target as migrate left it."""

import base64
import csv
import os
import pickle
import shutil
import sqlite3
import subprocess
import sys
import uuid
from dataclasses import dataclass

import environ
import psycopg
import pytest
from django.core.management import call_command

from tests.conftest import SAMPLE_LAKE
from tests.factories import api_token_for
from tests.servers import BASE_DIR

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PG_BASE = environ.Env.db_url_config(os.environ.get("TEST_POSTGRES_URL") or "postgres://postgres@127.0.0.1:5432/test")
TEMPLATE = f"{PG_BASE['NAME']}_copy_template_{os.getpid()}"  # per test session: the two passes may run at once


def _pg_admin(sql: str) -> None:
    with psycopg.connect(
        host=PG_BASE["HOST"], port=PG_BASE["PORT"] or 5432, user=PG_BASE["USER"], dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(sql)


def _pg_url(name: str) -> str:
    return f"postgres://{PG_BASE['USER']}@{PG_BASE['HOST']}:{PG_BASE['PORT'] or 5432}/{name}"


@dataclass
class Database:
    """A database the test copies to or from: its URL and the environment of a child process configured for it."""

    kind: str  # "sqlite" | "postgresql"
    url: str
    env: dict
    name: str


def _migrate(env: dict) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr


def _child_env(base: dict, *, kind: str, location: str) -> dict:
    env = {k: v for k, v in base.items() if k not in ("DATABASE_URL", "DATABASE_PATH")}
    env["DATABASE_URL" if kind == "postgresql" else "DATABASE_PATH"] = location
    return env


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory):
    """One migrated SQLite file and one migrated PostgreSQL template database per session: each target is a copy."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bedrot_site.settings_test"}
    env.pop("REDIS_URL", None)
    sqlite_file = tmp_path_factory.mktemp("copy") / "template.db"
    _migrate(_child_env(env, kind="sqlite", location=str(sqlite_file)))
    _pg_admin(f'DROP DATABASE IF EXISTS "{TEMPLATE}"')
    _pg_admin(f'CREATE DATABASE "{TEMPLATE}"')
    _migrate(_child_env(env, kind="postgresql", location=_pg_url(TEMPLATE)))
    yield sqlite_file
    _pg_admin(f'DROP DATABASE IF EXISTS "{TEMPLATE}"')


@pytest.fixture
def fresh_target(migrated_templates, subprocess_env, tmp_path):
    """`fresh_target(kind)`: an empty, migrated database of that kind."""
    created = []

    def make(kind: str) -> Database:
        name = f"copy_{uuid.uuid4().hex[:10]}"
        if kind == "postgresql":
            _pg_admin(f'CREATE DATABASE "{PG_BASE["NAME"]}_{name}" TEMPLATE "{TEMPLATE}"')
            url = _pg_url(f"{PG_BASE['NAME']}_{name}")
            location = url
        else:
            path = tmp_path / f"{name}.db"
            shutil.copyfile(migrated_templates, path)
            url, location = f"sqlite:///{path}", str(path)
        database = Database(kind, url, _child_env(subprocess_env, kind=kind, location=location), name)
        created.append(database)
        return database

    yield make
    for database in created:
        if database.kind == "postgresql":
            _pg_admin(f'DROP DATABASE IF EXISTS "{PG_BASE["NAME"]}_{database.name}" WITH (FORCE)')


@pytest.fixture
def source(subprocess_env) -> Database:
    from django.db import connection

    return Database(connection.vendor, "", subprocess_env, "default")


def connection_of(database: Database):
    """A plain DB-API connection (autocommit for PostgreSQL) to change a target behind Django's back."""
    if database.kind == "sqlite":
        return sqlite3.connect(database.env["DATABASE_PATH"], isolation_level=None)
    return psycopg.connect(database.url.replace("postgres://", "postgresql://"), autocommit=True)


def copy_warehouse(database: Database, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "copy_warehouse", *args],
        cwd=BASE_DIR,
        env=database.env,
        capture_output=True,
        text=True,
        timeout=600,
    )


SNAPSHOT = """
import base64, pickle
from api.copy_check import kpis_body
from warehouse.copying import copied_models

def plain(row):  # PostgreSQL returns binary columns as memoryview, SQLite as bytes
    return tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)

tables = {m._meta.db_table: [plain(r) for r in m._base_manager.order_by("pk").values_list()] for m in copied_models()}
print(base64.b64encode(pickle.dumps({"tables": tables, "/api/kpis": kpis_body()})).decode())
"""


def in_process_of(database: Database, code: str) -> str:
    """The last line `code` prints in a child process whose configured database is `database`."""
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=BASE_DIR,
        env=database.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def snapshot(database: Database) -> dict:
    """Every row of every copied table in primary-key order as Python values (Decimal, datetime, dict, bytes), and
    the /api/kpis body, as a process configured for `database` (a server after the switch) sees them."""
    return pickle.loads(base64.b64decode(in_process_of(database, SNAPSHOT)))


def contents(database: Database) -> dict[str, list[tuple]]:
    return snapshot(database)["tables"]


def other(kind: str) -> str:
    return "sqlite" if kind == "postgresql" else "postgresql"


def round_trip(source: Database, fresh_target) -> tuple[dict, Database, Database]:
    """Source → the other backend → a fresh database of the source's backend; both copies verified and compared."""
    there, back = fresh_target(other(source.kind)), fresh_target(source.kind)
    expected = snapshot(source)
    for origin, target in ((source, there), (there, back)):
        done = copy_warehouse(origin, "--to", target.url, "--batch-size", "1000")
        assert done.returncode == 0, done.stderr + done.stdout
        assert "verified: row counts per table, money totals, identical /api/kpis body" in done.stdout
        assert snapshot(target) == expected
    assert snapshot(source) == expected  # the source is untouched
    return expected, there, back


def test_sample_lake_round_trip_sqlite_postgresql(source, fresh_target, staff_user):
    from warehouse.models import LoadRun

    call_command("load_curated", "--lake", str(SAMPLE_LAKE))
    token = api_token_for(staff_user)
    expected, there, back = round_trip(source, fresh_target)
    assert expected["/api/kpis"]["data"]["financial"]["total_revenue_usd"] == 1587.06  # sample_lake/README.md
    # On each copy: the token still authenticates, and the next load run gets the next id (sequences fixed).
    last = LoadRun.objects.order_by("-id").first().id
    probe = (
        "from django.test import Client; from warehouse.models import LoadRun; "
        f"print(Client().get('/api/kpis/summary', HTTP_AUTHORIZATION='Token {token}').status_code, "
        "LoadRun.objects.create(status='queued', trigger='cli').id)"
    )
    assert [in_process_of(target, probe) for target in (there, back)] == [f"200 {last + 1}"] * 2


def test_generated_warehouse_with_lineage_and_curated_master_data(source, fresh_target, staff_user, tmp_path):
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    from warehouse import services
    from warehouse.models import Artist, ArtistAlias, QuarantinedRow, RoyaltyLine

    generated = subprocess.run(
        [sys.executable, "bench/loader_generate.py", "--rows", "3000", "--out", str(tmp_path)],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert generated.returncode == 0, generated.stderr
    call_command("load_curated", "--lake", str(tmp_path / "a"))
    # The newer snapshot: a spelling staff must map, and a line the loader quarantines.
    snapshot = tmp_path / "b" / "4_curated" / "dk_bank_details.csv"
    rows = list(csv.reader(snapshot.open(newline="")))
    rows[5][3] = "Z0NE A0 (live)"
    rows[6][12] = "twelve dollars"
    with snapshot.open("w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    call_command("load_curated", "--lake", str(tmp_path / "b"))
    alias = ArtistAlias.objects.get(alias="Z0NE A0 (live)", artist=None)
    services.artist_alias_map(alias=alias, artist=Artist.objects.get(name="ZONE A0"))
    newcomer = Artist.objects.create(name="NEWCOMER")
    LogEntry.objects.create(
        user=staff_user,
        content_type=ContentType.objects.get_for_model(Artist),
        object_id=str(newcomer.pk),
        object_repr="NEWCOMER",
        action_flag=CHANGE,
    )
    api_token_for(staff_user)
    assert QuarantinedRow.objects.count() == 1
    assert RoyaltyLine.objects.filter(artist_raw="Z0NE A0 (live)", artist__name="ZONE A0").count() == 1

    expected, _, _ = round_trip(source, fresh_target)
    assert len(expected["tables"]["quarantined_row"]) == 1


def test_refuses_a_target_that_holds_a_warehouse(source, fresh_target, django_user_model):
    call_command("load_curated", "--lake", str(SAMPLE_LAKE))
    target = fresh_target(other(source.kind))
    assert copy_warehouse(source, "--to", target.url).returncode == 0
    before = contents(target)
    django_user_model.objects.create_user(username="late", password="pw-late-123")  # the source moves on

    refused = copy_warehouse(source, "--to", target.url)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "CommandError: copy_warehouse: refused: the target is not empty (table load_run has rows): "
        "pass --replace to overwrite it; nothing was written"
    )
    assert contents(target) == before

    replaced = copy_warehouse(source, "--to", target.url, "--replace")
    assert replaced.returncode == 0, replaced.stderr
    assert contents(target) == contents(source)


def test_refuses_an_unmigrated_target_and_itself(source, fresh_target, tmp_path):
    call_command("load_curated", "--lake", str(SAMPLE_LAKE))
    empty = tmp_path / "never-migrated.db"
    refused = copy_warehouse(source, "--to", f"sqlite:///{empty}")
    assert refused.returncode == 2
    assert "refused: the target is not migrated like the source" in refused.stderr
    assert "run `DATABASE_URL=<target> manage.py migrate` with this code first" in refused.stderr
    from django.db import connection

    own = connection.settings_dict
    url = f"sqlite:///{own['NAME']}" if source.kind == "sqlite" else _pg_url(own["NAME"])
    itself = copy_warehouse(source, "--to", url)
    assert (itself.returncode, itself.stderr.strip()) == (
        2,
        "CommandError: copy_warehouse: refused: the target is the configured database itself; nothing was written",
    )


def test_a_failure_mid_copy_leaves_the_target_as_migrated(source, fresh_target):
    """The target refuses royalty lines (a trigger standing in for a full disk or a dropped connection) after
    users, master data and lineage were already copied: the whole copy is rolled back."""
    call_command("load_curated", "--lake", str(SAMPLE_LAKE))
    target = fresh_target(other(source.kind))
    migrated = contents(target)
    with connection_of(target) as conn:
        if target.kind == "sqlite":
            conn.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON royalty_line BEGIN "
                "SELECT RAISE(ABORT, 'target refused the row'); END"
            )
        else:
            conn.execute(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'target refused the row'; END $$"
            )
            conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON royalty_line FOR EACH ROW EXECUTE FUNCTION refuse()")
    failed = copy_warehouse(source, "--to", target.url)
    assert failed.returncode == 1
    assert failed.stderr.strip() == (
        "CommandError: copy_warehouse: database error: target refused the row; the target was left as it was"
    )  # one line: no traceback, no row quoted
    assert "  royalty_line: " not in failed.stdout and "  load_run: 1/1 rows" in failed.stdout
    assert contents(target) == migrated
