"""`capitol_one_purchases*.csv` (also `capital_one_purchases*.csv`): label expenses on the Capital One card
(contract §2.11). Expenses are never revenue.

No natural key: identity = sha256 of the normalised row + its occurrence among identical rows in the file. The
merge inserts by (source, row_hash, occurrence), so across overlapping exports a row counts at its maximum
multiplicity in any one file, never the sum. `Date` is `YYYY-MM-DD` or `MM/DD/YYYY` (else bad_date). The sign of
a purchase is the setting CAPITAL_ONE_PURCHASE_SIGN (`positive` default | `negative`): purchases are stored as
positive expense, opposite-sign rows (refunds, credits) as negative; the run summary counts both.
"""

from __future__ import annotations

import pandas as pd
from django.conf import settings

from etl.pipeline import Batch, LoadContext
from etl.sources import Column, Facts, SourceSpec, Variant, register
from etl.validation import Parsed, decimal_units, text


def us_or_iso_date() -> callable:
    def parse(raw: pd.Series) -> Parsed:
        iso = pd.to_datetime(
            raw.where(raw.str.fullmatch(r"\d{4}-\d{2}-\d{2}"), None), format="%Y-%m-%d", errors="coerce"
        )
        us = pd.to_datetime(
            raw.where(raw.str.fullmatch(r"\d{2}/\d{2}/\d{4}"), None), format="%m/%d/%Y", errors="coerce"
        )
        values = iso.fillna(us)
        errors = pd.Series("", index=raw.index, dtype=object)
        errors[values.isna()] = "bad_date"
        return Parsed(values, errors)

    return parse


COLUMNS = (
    Column("Date", "date", us_or_iso_date()),
    Column("Description", "description", text(max_length=500)),
    Column("Amount", "file_amount", decimal_units()),
    Column("Category", "category", text(max_length=100)),
    Column("Status", "status", text(max_length=40)),
    Column("CardLast4", "card_last4", text(max_length=4)),
)
HASHED = ("date", "description", "file_amount", "category", "status", "card_last4")


def transform(ctx: LoadContext, batch: Batch) -> None:
    df = batch.df
    df["source"] = "capital_one"
    df["category"] = df["category"].where(df["category"] != "", "Business Expense")
    df["status"] = df["status"].where(df["status"] != "", "Posted")
    purchase_sign = -1 if settings.CAPITAL_ONE_PURCHASE_SIGN == "negative" else 1
    df["amount_usd"] = df["file_amount"].map(lambda v: v * purchase_sign if v is not None and v == v else v)
    usable = df[batch.usable]
    ctx.counters["purchases"] += int((usable["amount_usd"] > 0).sum())
    ctx.counters["refunds_or_credits"] += int((usable["amount_usd"] < 0).sum())


FACTS = Facts(
    table="business_expense",
    fields={
        "source": "text",
        "row_hash": "text",
        "occurrence": "int",
        "date": "date",
        "description": "text",
        "amount_usd": "int",
        "category": "text",
        "status": "text",
        "card_last4": "text",
    },
    key=("source", "row_hash", "occurrence"),
    merge="rowhash",
    hash_fields=HASHED,
)


SPEC = register(
    SourceSpec(
        kind="capital_one",
        patterns=(r"capitol_one_purchases[^/]*\.csv", r"capital_one_purchases[^/]*\.csv"),
        variants=(Variant("v1", COLUMNS, FACTS),),
        transform=transform,
    )
)
