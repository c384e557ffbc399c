"""The two files of a statement, both written from the same StatementDoc: CSV (one row per statement line) and PDF
(fpdf2: the label's name, the artist, the period, the tables with totals per track, per store and overall, page
numbers)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from fpdf import FPDF

from statements.money import ZERO
from statements.selectors import StatementDoc, decimal_text

CSV_COLUMNS = [
    "statement",
    "status",
    "artist",
    "period",
    "section",
    "adjusts_period",
    "owner_artist",
    "isrc",
    "title",
    "store",
    "kind",
    "units",
    "gross_usd",
    "artist_share_pct",
    "artist_usd",
    "co_artists_usd",
    "label_usd",
    "held_usd",
    "note",
]


def money(value: Decimal) -> str:
    return f"{value:.2f}"


def statement_filename(doc: StatementDoc, ext: str) -> str:
    artist = "".join(c if c.isalnum() else "-" for c in doc.artist).strip("-").lower()
    kind = f"issued-{doc.id}" if doc.id else "draft"
    return f"{artist}_{doc.period.label.replace('..', '_to_')}_{kind}.{ext}"


def statement_csv(doc: StatementDoc) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for line in doc.lines:
        writer.writerow(
            [
                doc.id or "",
                doc.status,
                doc.artist,
                doc.period.label,
                line.section,
                line.adjusts_period,
                line.owner,
                line.isrc,
                line.title,
                line.store,
                line.kind,
                line.units,
                money(line.gross),
                decimal_text(line.share_pct) or "",
                money(line.artist),
                money(line.co_artists),
                money(line.label),
                money(line.held),
                line.note,
            ]
        )
    return out.getvalue()


# --- PDF ---------------------------------------------------------------------------------------------------------

INK, MUTED, RULE, BAND, ACCENT = (33, 37, 41), (108, 117, 125), (206, 212, 218), (241, 243, 245), (121, 40, 202)
COLUMNS = [  # heading, width (mm), align
    ("Track", 62, "L"),
    ("ISRC", 27, "L"),
    ("Store", 44, "L"),
    ("Units", 18, "R"),
    ("Gross", 20, "R"),
    ("Share", 14, "R"),
    ("Artist", 20, "R"),
    ("Co-artists", 20, "R"),
    ("Label", 20, "R"),
    ("Held", 18, "R"),
]


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")  # the PDF core fonts are latin-1


class _Pdf(FPDF):
    def __init__(self, doc: StatementDoc):
        super().__init__(orientation="L", unit="mm", format="A4")
        self.doc = doc
        self.set_margins(12, 12, 12)
        self.set_auto_page_break(True, margin=16)
        self.set_title(f"Royalty statement {doc.artist} {doc.period.label}")
        self.set_author(settings.LABEL_NAME)
        self.alias_nb_pages()

    def header(self):
        doc = self.doc
        self.set_text_color(*ACCENT)
        self.set_font("Helvetica", "B", 15)
        self.cell(0, 7, _latin1(settings.LABEL_NAME), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*INK)
        self.set_font("Helvetica", "B", 12)
        self.cell(150, 6, _latin1(f"Royalty statement: {doc.artist}"))
        self.set_font("Helvetica", "", 10)
        status = f"Issued #{doc.id} on {doc.issued_at:%Y-%m-%d}" if doc.id else "DRAFT - not issued"
        self.cell(0, 6, status, align="R", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*MUTED)
        months = f"Sale Months {doc.period.start:%Y-%m} to {doc.period.end:%Y-%m}"
        self.cell(150, 5, f"Period {doc.period.label} ({months}), amounts in USD")
        self.cell(0, 5, f"checksum {doc.checksum[:16]}", align="R", new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(*ACCENT)
        self.set_line_width(0.6)
        self.line(self.l_margin, self.get_y() + 1.5, self.w - self.r_margin, self.get_y() + 1.5)
        self.ln(5)
        self.set_text_color(*INK)

    def footer(self):
        self.set_y(-11)
        self.set_font("Helvetica", "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, _latin1(f"{settings.LABEL_NAME} - {self.doc.artist} - {self.doc.period.label}"))
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")

    # --- building blocks

    def heading(self, text: str, note: str = ""):
        if self.will_page_break(24):
            self.add_page()
        self.ln(2)
        self.set_font("Helvetica", "B", 11)
        self.cell(0, 6, _latin1(text), new_x="LMARGIN", new_y="NEXT")
        if note:
            self.set_font("Helvetica", "", 8)
            self.set_text_color(*MUTED)
            self.multi_cell(0, 4, _latin1(note), new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(*INK)
        self.ln(1)

    def row(self, values: list[str], *, bold=False, head=False, fill=False, columns=COLUMNS):
        if self.will_page_break(5.5):
            self.add_page()
            if not head:
                self.row([c[0] for c in columns], head=True, columns=columns)
        self.set_font("Helvetica", "B" if (bold or head) else "", 8)
        self.set_fill_color(*(BAND if fill or head else (255, 255, 255)))
        if head:
            self.set_text_color(*MUTED)
        for value, (_, width, align) in zip(values, columns, strict=True):
            text = _latin1(value)
            while text and self.get_string_width(text) > width - 2:
                text = text[:-2] + "~"
            self.cell(width, 5.5, text, align=align, fill=fill or head, border="B" if head else 0)
        self.ln()
        self.set_text_color(*INK)

    def table(self, lines, *, with_adjusts=False, with_owner=False):
        self.row([c[0] for c in COLUMNS], head=True)
        by_track = defaultdict(list)
        for line in lines:
            by_track[(line.adjusts_period, line.owner, line.isrc, line.title)].append(line)
        for (adjusts, owner, isrc, title), group in by_track.items():
            name = f"{title} [{adjusts}]" if with_adjusts else f"{title} [{owner}]" if with_owner else title
            for line in group:
                store = line.store + (" (negative)" if line.kind == "negative" else "")
                held = money(line.held) if line.held else ""
                self.row(
                    [
                        name,
                        isrc if name else "",
                        store,
                        str(line.units),
                        money(line.gross),
                        f"{decimal_text(line.share_pct)}%" if line.share_pct is not None else "-",
                        money(line.artist),
                        money(line.co_artists),
                        money(line.label),
                        held,
                    ]
                )
                if line.note:
                    self.set_font("Helvetica", "I", 7)
                    self.set_text_color(*MUTED)
                    self.cell(0, 4, _latin1(f"      {line.note}"), new_x="LMARGIN", new_y="NEXT")
                    self.set_text_color(*INK)
                name = ""
            if len(group) > 1:
                self.row(_sum_row(f"  total {title}", group), bold=True)
        self.row(_sum_row("Total", lines), bold=True, fill=True)


def _sum_row(label: str, lines) -> list[str]:
    total = {
        name: sum((getattr(line, name) for line in lines), ZERO)
        for name in ("gross", "artist", "co_artists", "label", "held")
    }
    units = sum(line.units for line in lines if line.kind == "earnings")
    return [
        label,
        "",
        "",
        str(units),
        money(total["gross"]),
        "",
        money(total["artist"]),
        money(total["co_artists"]),
        money(total["label"]),
        money(total["held"]) if total["held"] else "",
    ]


SUMMARY_COLUMNS = [("", 90, "L"), ("", 30, "R")]
STORE_COLUMNS = [("Store", 60, "L"), ("Units", 22, "R"), ("Gross", 24, "R"), ("Artist", 24, "R"), ("Label", 24, "R")]


def statement_pdf(doc: StatementDoc) -> bytes:
    pdf = _Pdf(doc)
    pdf.add_page()
    t = doc.totals
    sections = dict(doc.sections())
    own = sections.get("Own tracks", [])

    top = pdf.get_y()
    pdf.heading("Balance")
    for label, value, bold in [
        ("Opening balance (unpaid from earlier statements)", t.opening_balance, False),
        ("Your share of your tracks", t.artist, False),
        ("Your share of tracks you feature on", t.featured, False),
        ("Adjustments to earlier statements", t.adjustments, False),
        ("Payments recorded since the last statement", -t.payments, False),
        ("Closing balance (owed to the artist)", t.closing_balance, True),
    ]:
        pdf.row([label, money(value)], bold=bold, fill=bold, columns=SUMMARY_COLUMNS)
    bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + 140, top)
    pdf.set_left_margin(pdf.l_margin + 140)
    pdf.heading("Reconciliation of your tracks")
    for label, value, bold in [
        ("Gross earnings of the period", t.gross, True),
        ("Artist", t.artist, False),
        ("Co-artists", t.co_artists, False),
        ("Label", t.label, False),
        ("Held (split not confirmed)", t.held, False),
    ]:
        pdf.row([label, money(value)], bold=bold, columns=SUMMARY_COLUMNS)
    pdf.set_left_margin(pdf.l_margin - 140)
    pdf.set_xy(pdf.l_margin, max(bottom, pdf.get_y()))

    notes = {
        "Own tracks": f"{t.units} units. Artist + co-artists + label + held = gross on every line; shares are each "
        "track's confirmed split, rounded once per line (docs/STATEMENTS.md).",
        "Tracks featured on": "Lines reported under another artist (in brackets); the artist's share of each.",
        "Adjustments to earlier statements": "Lines revised or retracted by a later DistroKid snapshot since the "
        "statement in brackets was issued: now minus what was stated.",
    }
    for title, lines in doc.sections():
        pdf.heading(title, notes[title])
        pdf.table(lines, with_adjusts=title.startswith("Adjustments"), with_owner=title.startswith("Tracks"))
    pdf.heading("Totals per store (your tracks)")
    pdf.row([c[0] for c in STORE_COLUMNS], head=True, columns=STORE_COLUMNS)
    stores = defaultdict(lambda: [0, ZERO, ZERO, ZERO])
    for line in own:
        s = stores[line.store]
        s[0] += line.units if line.kind == "earnings" else 0
        s[1], s[2], s[3] = s[1] + line.gross, s[2] + line.artist, s[3] + line.label
    for store, (units, gross, artist, label) in sorted(stores.items(), key=lambda kv: -kv[1][1]):
        pdf.row([store, str(units), money(gross), money(artist), money(label)], columns=STORE_COLUMNS)
    pdf.row(
        ["Total", str(t.units), money(t.gross), money(t.artist), money(t.label)],
        bold=True,
        fill=True,
        columns=STORE_COLUMNS,
    )
    return bytes(pdf.output())
