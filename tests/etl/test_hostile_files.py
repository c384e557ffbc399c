"""Hostile or unlucky files in the curated zone: a file rewritten while the loader reads it, unreadable
folders, symlinks that leave the lake, oversized input in messages."""

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.etl.helpers import by_path, curated, read_rows, write_csv
from warehouse.models import LoadRun, RoyaltyLine, SourceFile

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def loader(lake: Path, env: dict, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "manage.py", "load_curated", "--lake", str(lake), "--json", *extra]
    return subprocess.Popen(
        command, cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(process: subprocess.Popen) -> tuple[int, dict | None, str]:
    out, err = process.communicate(timeout=300)
    return process.returncode, (json.loads(out) if out.strip() else None), err


def wait_until_parsing(process: subprocess.Popen, path: Path, *, steady: float = 0.3) -> int:
    """Block until `process` has held `path` open mid-way (0 < offset < size) for `steady` seconds: it is
    parsing it, not hashing it (a hash pass over a few MB takes milliseconds). Returns the offset seen."""
    size, since = path.stat().st_size, None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        offset = None
        for fd in os.listdir(f"/proc/{process.pid}/fd"):
            try:
                if os.readlink(f"/proc/{process.pid}/fd/{fd}") == str(path):
                    info = Path(f"/proc/{process.pid}/fdinfo/{fd}").read_text()
                    offset = int(info.split("pos:")[1].split()[0])
            except (FileNotFoundError, IndexError):
                continue
        if offset is not None and 0 < offset < size:
            since = since or time.monotonic()
            if time.monotonic() - since >= steady:
                return offset
        else:
            since = None
        time.sleep(0.01)
    raise AssertionError("the loader never read the file")


def test_file_rewritten_while_it_is_read_is_rejected_and_loaded_whole_next_run(lake_copy, subprocess_env):
    dk = curated(lake_copy, "dk_bank_details.csv")
    original = dk.read_bytes()
    header, rows = read_rows(dk)
    write_csv(dk, header, [row for _ in range(12) for row in rows])  # ~10 MB: parsing takes seconds
    process = loader(lake_copy, subprocess_env, "--source", "dk_bank_details")
    offset = wait_until_parsing(process, dk.resolve())
    dk.write_bytes(original)  # the cleaner rewrites the file in place (truncate, then write) meanwhile
    code, report, err = finish(process)

    entry = by_path(report)["dk_bank_details.csv"]
    assert (code, entry["status"], entry["reason"]) == (1, "rejected", "changed_while_reading"), (offset, entry, err)
    rejected = SourceFile.objects.get()
    assert rejected.message.startswith("dk_bank_details.csv: rejected (changed_while_reading): the file changed")
    assert rejected.sha256 == entry["sha256"] != hashlib.sha256(original).hexdigest()
    assert RoyaltyLine.objects.count() == 0  # nothing of it was kept
    assert LoadRun.objects.get().status == "succeeded_with_rejects"

    # Stable again: the next run does not skip it as unchanged, it loads the whole new content.
    code, report, err = finish(loader(lake_copy, subprocess_env, "--source", "dk_bank_details"))
    entry = by_path(report)["dk_bank_details.csv"]
    assert (code, entry["status"], entry["rows_read"]) == (0, "loaded", len(rows)), err
    assert RoyaltyLine.objects.count() == len(rows)
    assert SourceFile.objects.get(status="loaded").sha256 == hashlib.sha256(original).hexdigest()


def restricted(command: list[str]) -> list[str]:
    """Root reads every folder whatever its mode: run the child without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH, so
    `chmod 000` makes a folder unreadable to it, as it is to the scheduler's own user."""
    if os.geteuid() != 0:
        return command
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}", *command]


@pytest.mark.parametrize("denied", ["lake root", "curated zone", "sub-folder"])
def test_unreadable_folder_exits_2_naming_it_and_loads_nothing(denied, lake_copy, subprocess_env):
    zone = lake_copy / "4_curated"
    folder = {"lake root": lake_copy, "curated zone": zone, "sub-folder": zone / "metaads"}[denied]
    folder.chmod(0)
    try:
        command = [sys.executable, "manage.py", "load_curated", "--lake", str(lake_copy)]
        done = subprocess.run(
            restricted(command),
            check=False,
            cwd=settings.BASE_DIR,
            env=subprocess_env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        folder.chmod(0o755)
    named = zone if denied == "lake root" else folder  # the lake root itself cannot be searched for the zone
    assert (done.returncode, done.stdout, done.stderr) == (
        2,
        "",
        f"load_curated: cannot read {named}: Permission denied; nothing was loaded\n",
    )
    # A run that read nothing is never `succeeded`: the zone is checked before a run exists, a folder met while
    # walking the zone fails the run it started.
    expected_runs = (
        [] if denied == "lake root" else [("failed", f"LakeUnreadable: cannot read {named}: Permission denied")]
    )
    assert list(LoadRun.objects.values_list("status", "error")) == expected_runs
    assert SourceFile.objects.count() == 0


def test_symlinks_out_of_the_lake_are_ignored_never_read(lake_copy, tmp_path, subprocess_env):
    zone = lake_copy / "4_curated"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (zone / "dk_bank_details.csv").rename(elsewhere / "dk_bank_details.csv")
    (zone / "dk_bank_details.csv").symlink_to(elsewhere / "dk_bank_details.csv")  # data from outside the lake
    (zone / "linktree_analytics.csv").unlink()
    (zone / "linktree_analytics.csv").symlink_to("/etc/passwd")  # a system file
    staging = lake_copy / "3_staging"
    staging.mkdir()
    (zone / "tidy_daily_streams.csv").rename(staging / "tidy_daily_streams.csv")
    (zone / "tidy_daily_streams.csv").symlink_to("../3_staging/tidy_daily_streams.csv")  # inside the lake: loaded

    code, report, err = finish(loader(lake_copy, subprocess_env))
    files = by_path(report)
    for name, kind in (("dk_bank_details.csv", "dk_bank_details"), ("linktree_analytics.csv", "linktree")):
        assert files[name] == {
            "path": name,
            "kind": kind,
            "sha256": None,
            "status": "ignored",
            "rows_read": 0,
            "rows_inserted": 0,
            "rows_updated": 0,
            "rows_unchanged": 0,
            "rows_quarantined": 0,
            "reason": "outside_lake",
            "counters": {},
        }
    assert (files["tidy_daily_streams.csv"]["status"], files["tidy_daily_streams.csv"]["rows_read"]) == ("loaded", 468)
    assert code == 0 and "root:" not in err
    assert RoyaltyLine.objects.count() == 0
    assert not SourceFile.objects.filter(path__in=["dk_bank_details.csv", "linktree_analytics.csv"]).exists()
    ignored = sorted((f["path"], f["reason"]) for f in report["files"] if f["status"] == "ignored")
    assert ignored == [
        ("dk_bank_details.csv", "outside_lake"),
        ("linktree_analytics.csv", "outside_lake"),
        ("metaads/kpi_summary_20250527.csv", None),
        ("metaads/kpi_summary_latest.csv", None),
    ]
    run = LoadRun.objects.get()
    assert (run.status, run.files_ignored) == ("succeeded", 4)


def test_oversized_input_is_capped_in_every_message_log_and_api_body(lake_copy, subprocess_env, staff_user):
    """A 3 MB header and a 100 KB value reach the stored messages, the loader's log and GET /api/loads/{id}
    only as excerpts that note the full length."""
    from django.test import Client

    from warehouse.models import QuarantinedRow

    zone = lake_copy / "4_curated"
    giant = ",".join(f"column_{n}" for n in range(300_000))  # 3.4 MB of unexpected column names
    (zone / "track_catalog_royalty_splits.csv").write_text(f"artist,{giant}\nPIG1987,1\n")
    streams = zone / "tidy_daily_streams.csv"
    header, rows = read_rows(streams)
    rows[0][0] = "2" * 100_000  # an impossible date, as long as the csv module lets one field be
    write_csv(streams, header, rows)

    code, _, err = finish(loader(lake_copy, subprocess_env))
    rejected = SourceFile.objects.get(path="track_catalog_royalty_splits.csv")
    assert (code, rejected.status, rejected.reason) == (1, "rejected", "unknown_header")
    assert rejected.message.startswith("track_catalog_royalty_splits.csv: rejected (unknown_header): matches no")
    capped, noted = rejected.message.rsplit("… [", 1)
    assert len(capped) == 1000 and noted.endswith(" characters]")
    assert int(noted.split()[0].replace(",", "")) > 2 * len(giant)  # the names are unexpected in both variants

    bad = QuarantinedRow.objects.get(source_file__path="tidy_daily_streams.csv")
    value = "'" + "2" * 199 + "… [100,002 characters]"
    assert (bad.line, bad.column, bad.reason) == (2, "date", "bad_date")
    assert bad.message == f"date: bad_date ({value})"
    assert bad.errors == [{"column": "date", "reason": "bad_date", "message": f"date: bad_date ({value})"}]
    assert bad.raw == "2" * 500 + f"… [{100_000 + len(',40,0,40,distrokid'):,} characters]"
    assert len(err) < 20_000, len(err)  # the loader's log lines and stderr summary

    client = Client()
    client.force_login(staff_user)
    response = client.get(f"/api/loads/{LoadRun.objects.get().pk}")
    assert response.status_code == 200 and len(response.content) < 20_000, len(response.content)
    assert giant[:2000] not in response.content.decode()
    shown = {f["path"]: f["message"] for f in json.loads(response.content)["data"]["files"]}
    assert shown["track_catalog_royalty_splits.csv"] == rejected.message


def test_nul_byte_quarantines_its_row_not_the_dk_snapshot(lake_copy, subprocess_env):
    """PostgreSQL text cannot hold NUL: one such byte rejected the whole snapshot there and loaded on SQLite. Both
    databases now quarantine the row, with the same reason, and load the rest."""
    from warehouse.models import QuarantinedRow

    dk = curated(lake_copy, "dk_bank_details.csv")
    header, rows = read_rows(dk)
    rows[41][4] = "HOLD ON\x00 I"  # Title of the record on line 43
    write_csv(dk, header, rows)

    code, report, err = finish(loader(lake_copy, subprocess_env, "--source", "dk_bank_details"))
    entry = by_path(report)["dk_bank_details.csv"]
    assert (code, entry["status"], entry["rows_read"], entry["rows_quarantined"]) == (0, "loaded", len(rows), 1), err
    assert RoyaltyLine.objects.count() == len(rows) - 1
    bad = QuarantinedRow.objects.get()
    assert (bad.line, bad.column, bad.reason, bad.message) == (
        43,
        "",
        "malformed_row",
        "line 43: a NUL byte (0x00) in column 'Title'",
    )
    assert bad.raw == ",".join(rows[41]).replace("\x00", "\\x00")
