"""`manage.py statements`: exit codes like load_curated's, and the two files it writes: the CSV (one row per
statement line) equals the independent CSV computation, and the PDF's text (pdftotext) holds the same figures."""

import csv
import io
import re
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from statements.models import Statement
from tests.statements.conftest import SPLITS, splits_set
from tests.statements.test_sample_lake import csv_statement_lines
from warehouse.load_lock import load_lock

pytestmark = pytest.mark.django_db


def statements_cmd(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("statements", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code)
    return code, out.getvalue(), err.getvalue()


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def pdf_text(path: Path) -> str:
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"[ \t]+", " ", text)


def test_issue_writes_csv_and_pdf_with_the_same_figures(splits, tmp_path, screenshots):
    code, out, err = statements_cmd("--period", "2025-Q1", "--out", str(tmp_path), "--issue")
    assert code == 0, err
    pig, zone = Statement.objects.get(artist__name="PIG1987"), Statement.objects.get(artist__name="ZONE A0")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"pig1987_2025-Q1_issued-{pig.pk}.csv",
        f"pig1987_2025-Q1_issued-{pig.pk}.pdf",
        f"zone-a0_2025-Q1_issued-{zone.pk}.csv",
        f"zone-a0_2025-Q1_issued-{zone.pk}.pdf",
    ]
    assert err.strip() == "statements 2025-Q1: 2 artist(s), 2 issued, 0 refused"
    oracle = csv_statement_lines("2025-Q1", splits)
    for statement, slug in ((pig, "pig1987"), (zone, "zone-a0")):
        rows = read_csv(tmp_path / f"{slug}_2025-Q1_issued-{statement.pk}.csv")
        # the CSV is the independent computation, line for line
        assert (
            sorted(
                (
                    r["section"],
                    r["owner_artist"],
                    r["isrc"],
                    r["store"],
                    r["kind"],
                    int(r["units"]),
                    *(Decimal(r[c]) for c in ("gross_usd", "artist_usd", "co_artists_usd", "label_usd")),
                )
                for r in rows
            )
            == oracle[statement.artist.name]
        )
        assert {(r["statement"], r["status"], r["artist"], r["period"], r["held_usd"]) for r in rows} == {
            (str(statement.pk), "issued", statement.artist.name, "2025-Q1", "0.00")
        }
        own = [r for r in rows if r["section"] == "own"]
        gross = sum(Decimal(r["gross_usd"]) for r in own)
        assert (
            gross
            == statement.gross
            == {"PIG1987": Decimal("439.62"), "ZONE A0": Decimal("499.79")}[statement.artist.name]
        )
        assert (
            sum(Decimal(r["artist_usd"]) + Decimal(r["co_artists_usd"]) + Decimal(r["label_usd"]) for r in own) == gross
        )

        # the PDF holds every CSV line's figures, the totals, and numbered pages
        text = pdf_text(tmp_path / f"{slug}_2025-Q1_issued-{statement.pk}.pdf")
        signatures = Counter(
            f"{r['units']} {r['gross_usd']} {r['artist_share_pct']}% {r['artist_usd']} {r['co_artists_usd']} "
            f"{r['label_usd']}"
            for r in rows
        )
        assert {sig: min(text.count(sig), n) for sig, n in signatures.items()} == dict(signatures)
        artist_total = sum(Decimal(r["artist_usd"]) for r in own)
        featured = sum(Decimal(r["artist_usd"]) for r in rows if r["section"] == "featured")
        for phrase in (
            settings.LABEL_NAME,
            f"Royalty statement: {statement.artist.name}",
            "Period 2025-Q1 (Sale Months 2025-01 to 2025-03)",
            f"Issued #{statement.pk}",
            f"Gross earnings of the period {gross}",
            f"Your share of your tracks {artist_total}",
            f"Your share of tracks you feature on {featured}",
            f"Closing balance (owed to the artist) {artist_total + featured}",
            f"checksum {statement.checksum[:16]}",
        ):
            assert phrase in text, phrase
        pages = re.findall(r"Page (\d+) of (\d+)", text)
        assert pages == [(str(i), pages[-1][1]) for i in range(1, int(pages[-1][1]) + 1)] and len(pages) >= 2
        if slug == "pig1987":  # the page shown in docs/STATEMENTS.md
            subprocess.run(
                [
                    "pdftoppm",
                    "-png",
                    "-r",
                    "80",
                    "-f",
                    "1",
                    "-l",
                    "1",
                    "-singlefile",
                    str(tmp_path / f"{slug}_2025-Q1_issued-{statement.pk}.pdf"),
                    str(screenshots / "statement_pdf_page1"),
                ],
                check=True,
            )

    # run again: the issued statements are written as they are, nothing is issued twice
    code, out, err = statements_cmd(
        "--period", "2025-Q1", "--out", str(tmp_path / "again"), "--issue", "--artist", "pig1987"
    )
    assert code == 0 and Statement.objects.count() == 2
    assert (tmp_path / "again" / f"pig1987_2025-Q1_issued-{pig.pk}.csv").read_bytes() == (
        tmp_path / f"pig1987_2025-Q1_issued-{pig.pk}.csv"
    ).read_bytes()


def test_refused_statement_exits_1_and_the_others_are_issued(loaded, tmp_path):
    splits_set()
    splits_set({"QZZ792400421": SPLITS["QZZ792400421"]}, confirmed=False)  # PATHFINDER: ZONE A0's, PIG1987 featured
    code, out, err = statements_cmd("--period", "2025-Q1", "--out", str(tmp_path), "--issue")
    assert code == 1
    assert "refused: PIG1987 2025-Q1: amounts held until staff confirm the split: PATHFINDER (feat. PIG1987)" in err
    assert "refused: ZONE A0 2025-Q1: amounts held" in err
    assert err.strip().endswith("statements 2025-Q1: 2 artist(s), 0 issued, 2 refused")
    assert Statement.objects.count() == 0
    held = [r for r in read_csv(tmp_path / "pig1987_2025-Q1_draft.csv") if r["held_usd"] != "0.00"]
    assert {(r["section"], r["isrc"], r["note"], r["artist_usd"]) for r in held} == {
        ("featured", "QZZ792400421", "split not confirmed", "0.00")
    }
    splits_set()
    assert statements_cmd("--period", "2025-Q1", "--out", str(tmp_path), "--issue")[0] == 0
    assert Statement.objects.count() == 2


def test_usage_errors_exit_2(tmp_path):
    (tmp_path / "file").write_text("")
    for args, message in [
        (
            ("--period", "2025-Q5", "--out", str(tmp_path)),
            "statements: period '2025-Q5' is not one of YYYY-MM, YYYY-Qn, YYYY or YYYY-MM..YYYY-MM",
        ),
        (
            ("--period", "2025-03..2025-01", "--out", str(tmp_path)),
            "statements: period '2025-03..2025-01': the range ends before it starts",
        ),
        (("--period", "2025-Q1", "--out", str(tmp_path), "--artist", "NOBODY"), "statements: no artist named 'NOBODY'"),
        (("--period", "2025-Q1", "--out", str(tmp_path / "file" / "x")), "statements: cannot write to"),
    ]:
        code, _, err = statements_cmd(*args)
        assert (code, err.startswith(message)) == (2, True), err


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_held_load_lock_exits_3(subprocess_env, tmp_path):
    with load_lock():
        result = subprocess.run(
            [sys.executable, "manage.py", "statements", "--period", "2025-Q1", "--out", str(tmp_path)],
            cwd=settings.BASE_DIR,
            env=subprocess_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 3, result.stderr
    assert "statements: another load holds the lock" in result.stderr
    assert list(tmp_path.iterdir()) == []
