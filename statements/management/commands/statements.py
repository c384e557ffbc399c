"""`manage.py statements --period 2025-Q1 [--artist NAME] --out DIR [--issue]`: write each artist's statement
(CSV + PDF) for the period, issuing it first with --issue. Exit codes like load_curated's: 0 ok, 1 a statement was
refused (split not confirmed, period overlapping an issued one; the others are still written), 2 usage or
configuration error, 3 a load holds the lock (statements are never computed from a half-loaded snapshot)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from statements import renderers, selectors, services
from statements.periods import PeriodError, period_parse
from warehouse.load_lock import LOCK_BUSY_EXIT, LoadLockBusy, load_lock
from warehouse.models import Artist


class Command(BaseCommand):
    help = "Write (and with --issue, issue) artists' royalty statements for a period as CSV and PDF."
    requires_system_checks = []  # a scheduler job, like load_curated

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="2025-Q1, 2025-03, 2025 or 2024-11..2025-02")
        parser.add_argument("--artist", help="One artist (default: every artist with something to state).")
        parser.add_argument("--out", type=Path, required=True, help="Folder for the CSV and PDF files.")
        parser.add_argument("--issue", action="store_true", help="Issue the statements (stored, never changed).")
        parser.add_argument(
            "--wait",
            type=float,
            default=0.0,
            metavar="SECONDS",
            help="Wait this long for a running load's lock (default 0), then exit 3.",
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object on stdout.")

    def handle(self, *args, **opts):
        code = self._handle(opts)
        if code:
            raise SystemExit(code)

    def _handle(self, opts) -> int:
        try:
            period = period_parse(opts["period"])
        except PeriodError as exc:
            return self._fail(f"statements: {exc}", 2)
        try:
            opts["out"].mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return self._fail(f"statements: cannot write to {opts['out']}: {exc}", 2)
        try:
            with load_lock(wait=opts["wait"], abort_stale=False):
                if opts["artist"]:
                    artists = list(Artist.objects.filter(name__iexact=opts["artist"]))
                    if not artists:
                        return self._fail(f"statements: no artist named {opts['artist']!r}", 2)
                else:
                    artists = selectors.statement_artists_list(period=period)
                results = [self._one(artist, period, opts) for artist in artists]
        except LoadLockBusy as exc:
            return self._fail(f"statements: {exc}", LOCK_BUSY_EXIT)
        except DatabaseError as exc:
            return self._fail(f"statements: database error: {exc}", 2)
        if opts["json"]:
            self.stdout.write(json.dumps({"period": period.label, "statements": results}))
        refused = [r for r in results if r["refused"]]
        self.stderr.write(
            f"statements {period}: {len(results)} artist(s), "
            f"{sum(r['status'] == 'issued' for r in results)} issued, {len(refused)} refused"
        )
        return 1 if refused else 0

    def _one(self, artist: Artist, period, opts) -> dict:
        refused = ""
        existing = selectors.statement_list(artist=artist.name, period=period).first()
        if existing is not None:
            doc = selectors.statement_doc_get(statement=existing)  # issued already: its files, unchanged
        elif opts["issue"]:
            try:
                doc = selectors.statement_doc_get(statement=services.statement_issue(artist=artist, period=period))
            except services.StatementRefused as exc:
                refused = str(exc)
                doc = selectors.statement_draft_get(artist=artist, period=period)
        else:
            doc = selectors.statement_draft_get(artist=artist, period=period)
        files = []
        for ext, render in (("csv", renderers.statement_csv), ("pdf", renderers.statement_pdf)):
            path = opts["out"] / renderers.statement_filename(doc, ext)
            content = render(doc)
            path.write_bytes(content.encode() if isinstance(content, str) else content)
            files.append(str(path))
        if refused:
            self.stderr.write(f"refused: {refused}")
        elif not opts["json"]:
            self.stdout.write(
                f"{doc.artist} {doc.period}: {doc.status}"
                f"{f' #{doc.id}' if doc.id else ''}, gross {renderers.money(doc.totals.gross)}, "
                f"closing balance {renderers.money(doc.totals.closing_balance)} -> {files[1]}"
            )
        return {
            "artist": doc.artist,
            "status": doc.status,
            "id": doc.id,
            "refused": refused,
            "files": files,
            "gross": renderers.money(doc.totals.gross),
            "artist_amount": renderers.money(doc.totals.artist),
            "closing_balance": renderers.money(doc.totals.closing_balance),
            "checksum": doc.checksum,
        }

    def _fail(self, message: str, code: int) -> int:
        self.stderr.write(message)
        return code
