"""Large uploads to the admin import: refused at ADMIN_IMPORT_MAX_BYTES / ADMIN_IMPORT_MAX_ROWS without
the upload ever being held in memory, and nothing imported. A 10 MB CSV goes through a real daphne (peak memory read
from the server process), row bounds through the test client with tracemalloc around the request."""

import html
import io
import tracemalloc
import urllib.request
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, encode_multipart
from django.urls import reverse

from tests.servers import Daphne, child_env
from warehouse import models as m

IMPORT = "/admin/warehouse/artistalias/import/"


def alias_csv(rows: int) -> bytes:
    return b"alias,artist\n" + b"".join(b"name %d,PIG1987\n" % n for n in range(rows))


def aliases() -> list[tuple]:
    return list(m.ArtistAlias.objects.order_by("pk").values_list("alias", "artist_id"))


def peak_rss_kib(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1])


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_10_mb_csv_through_the_real_admin_is_refused_without_holding_it_in_memory(
    subprocess_env, tmp_path, client, staff_user
):
    daphne = Daphne(child_env(subprocess_env, redis_url=None, group="bedrot.test-import"), tmp_path / "daphne.log")
    try:
        # the session of a staff user logged in through Django's client (same database), the CSRF pair from the page
        client.force_login(staff_user)
        session = f"sessionid={client.cookies['sessionid'].value}"
        base = f"http://127.0.0.1:{daphne.port}"
        with urllib.request.urlopen(
            urllib.request.Request(base + IMPORT, headers={"Cookie": session}), timeout=30
        ) as page:
            csrf_cookie = page.headers["Set-Cookie"].split(";")[0]
            token = page.read().decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        before, peak_before = aliases(), peak_rss_kib(daphne.process.pid)

        content = alias_csv(700_000)
        assert len(content) > 10_000_000
        fields = {"csrfmiddlewaretoken": token, "resource": "0", "format": "0"}
        body = encode_multipart(BOUNDARY, {**fields, "import_file": SimpleUploadedFile("big.csv", content)})
        headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "Cookie": f"{session}; {csrf_cookie}"}
        request = urllib.request.Request(base + IMPORT, body, headers)
        size = len(content)
        del content
        with urllib.request.urlopen(request, timeout=120) as response:
            status, answer = response.status, html.unescape(response.read().decode())
        grown_mib = (peak_rss_kib(daphne.process.pid) - peak_before) / 1024
    finally:
        daphne.stop()
    assert status == 200
    refusal = (
        f"big.csv is {size:,} bytes; the limit is 1,048,576 bytes (ADMIN_IMPORT_MAX_BYTES). "
        "Split the file and import the parts."
    )
    assert refusal in answer
    assert aliases() == before
    # the upload streams to a temporary file; the server's peak grew by about the body daphne queues, not by a
    # parsed 10 MB file (352 s and 630 MB before the bound)
    assert grown_mib < 40, f"daphne's peak memory grew by {grown_mib:.0f} MiB"


def xlsx_bytes(rows: int) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["alias", "artist"])
    for n in range(rows):
        sheet.append([f"name {n}", "PIG1987"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["many.csv", "many.xlsx"])
@pytest.mark.parametrize("on_disk", [False, True], ids=["in-memory upload", "temporary-file upload"])
def test_rows_are_counted_as_they_stream_and_the_count_stops_at_the_bound(client, staff_user, settings, name, on_disk):
    settings.ADMIN_IMPORT_MAX_ROWS = 5000
    if on_disk:  # Django's TemporaryFileUploadHandler, as for any upload over 2.5 MB
        settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000
    content = alias_csv(50_000) if name.endswith(".csv") else xlsx_bytes(50_000)
    assert len(content) < settings.ADMIN_IMPORT_MAX_BYTES
    client.force_login(staff_user)
    before = aliases()
    body = encode_multipart(
        BOUNDARY,
        {"resource": "0", "format": "0" if "csv" in name else "1", "import_file": SimpleUploadedFile(name, content)},
    )
    client.get(reverse("admin:warehouse_artistalias_import"))  # imports and caches outside the measurement
    tracemalloc.start()
    response = client.post(
        reverse("admin:warehouse_artistalias_import"), body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert response.context["form"].non_field_errors() == [
        f"{name} has more than 5,000 rows (ADMIN_IMPORT_MAX_ROWS). Split the file and import the parts."
    ]
    assert "result" not in response.context and aliases() == before
    # the test client's own copy of the body is about len(body); parsing the 50,000 rows would take tens of MB
    assert peak < len(body) + 8 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB for a {len(body) / 2**20:.1f} MiB body"
