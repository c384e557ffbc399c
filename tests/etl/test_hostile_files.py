"""Hostile or unlucky files in the curated zone (issue 16): a file rewritten while the loader reads it, unreadable
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
    return subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


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
