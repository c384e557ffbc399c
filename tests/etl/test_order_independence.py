"""Issue 10: the warehouse's figures depend only on the set of files, never on their order, their timestamps or
which dumps happen to sit together (contract §1.1, §2.2 as-of, §2.7 levels, §2.9).

The lake: the bundled sample plus variants derived from it:
- T0, an older window of `tidy_daily_streams.csv`: distrokid ends 2025-06-30 (its last day partial, counts of its
  last 10 days lower than the sample's, 3 days before the sample's window), toolost ends 2025-05-23 with a real
  Apple count where the sample's trailing Apple is zero-filled;
- two other Meta dumps written as dated campaign-level roll-ups of the sample's ad-set rows (`adset_id` empty):
  A (20250520, stale figures) and B (20250601, one campaign-day off by $1.00) with a campaign-day no ad-set row
  covers, and `ad_performance_latest.csv` rewritten as B (as the upstream job does); a repeated daily copy.
Loading them in many orders, in one run and one file per run, must give the same totals and /api/kpis bodies.
The expected figures are computed here from the files by the contract's rules, not read back from the loader.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import random
import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import transaction
from django.db.models import Sum
from rest_framework.test import APIClient

from tests.etl.helpers import (
    by_path,
    curated,
    fingerprint,
    read_rows,
    run_loader,
    write_csv,
)
from tests.factories import api_token_for
from warehouse import meta_levels, selectors
from warehouse.models import Campaign, DistributorDailyStream, RoyaltyLine

pytestmark = pytest.mark.django_db

TIDY = "tidy_daily_streams.csv"
AD = "metaads/ad_performance_{}.csv"
EXTRA_DAY, EXTRA_CAMPAIGN = "2025-05-19", "120223459844420075"  # THE SOURCE - Streaming: only the roll-ups cover it
BASE_KINDS = ("dk_bank_details", "tiktok", "linktree", "meta_campaign_summary", "meta_daily_performance")


def _older_window(header: list[str], rows: list[list[str]]) -> list[list[str]]:
    """T0: what an earlier run of the lake wrote (module docstring)."""
    older = [
        ["2024-08-20", "11", "0", "11", "distrokid"],
        ["2024-08-21", "12", "0", "12", "distrokid"],
        ["2024-08-22", "13", "0", "13", "distrokid"],
    ]  # rolled off before the sample's window
    for date, spotify, apple, _, source in rows:
        if source == "distrokid" and date <= "2025-06-30":
            if date >= "2025-06-21":  # counts the upstream revised later
                spotify = str(max(int(spotify) - 7, 0))
            if date == "2025-06-29":
                apple = "0"  # a zero-filled Apple array inside the trailing 3 dates
            if date == "2025-06-30":
                spotify = "0"  # the partial last day
            older.append([date, spotify, apple, str(int(spotify) + int(apple)), source])
        elif source == "toolost" and date <= "2025-05-23":
            if date == "2025-05-23":
                apple = "27"  # real here; zero-filled (a trailing 0) in the newer window
            older.append([date, spotify, apple, str(int(spotify) + int(apple)), source])
    return older


def _rollups(header: list[str], rows: list[list[str]]) -> dict[tuple[str, str], list]:
    """The sample's ad-set rows summed per (date, campaign): [campaign_name, spend, impressions, clicks, reach,
    pixels…]."""
    col = {name: i for i, name in enumerate(header)}
    sums: dict[tuple[str, str], list] = {}
    for r in rows:
        key = (r[col["date"]], r[col["campaign_id"]])
        entry = sums.setdefault(key, [r[col["campaign_name"]], Decimal(0), 0, 0, 0, 0, 0, 0, 0])
        entry[1] += Decimal(r[col["spend_usd"]])
        for index, name in enumerate(("impressions", "clicks"), start=2):
            entry[index] += int(r[col[name]])
        entry[4] += int(float(r[col["reach"]] or 0))
        for index, name in enumerate(
            ("pixel_view_content", "pixel_purchase", "pixel_add_to_cart", "pixel_link_click"), start=5
        ):
            entry[index] += int(r[col[name]])
    return sums


def _write_rollup(path: Path, header: list[str], sums: dict, *, shift: dict) -> None:
    out = []
    for (day, campaign), (name, spend, impressions, clicks, reach, *pixels) in sorted(sums.items()):
        spend += shift.get((day, campaign), Decimal(0))
        out.append(
            [
                day,
                name,
                campaign,
                "",
                "",
                str(spend),
                str(impressions),
                str(clicks),
                str(reach),
                "",
                "",
                "",
                *map(str, pixels),
            ]
        )
    write_csv(path, header, out)


@pytest.fixture
def variants(lake_copy) -> dict:
    """Writes the derived files next to the sample; returns their paths and the expected figures."""
    header, t1 = read_rows(curated(lake_copy, TIDY))
    t0 = _older_window(header, t1)
    tidy_dir = lake_copy / "variants"
    write_csv(tidy_dir / "T0.csv", header, t0)
    shutil.copy(curated(lake_copy, TIDY), tidy_dir / "T1.csv")

    ad_header, ad_rows = read_rows(curated(lake_copy, AD.format("20250527")))
    sums = _rollups(ad_header, ad_rows)
    first_day = min(sums)
    older_dump = {k: v for k, v in sums.items() if k[0] <= "2025-05-02"}
    older_dump[(EXTRA_DAY, EXTRA_CAMPAIGN)] = ["THE SOURCE - Streaming", Decimal("3.33"), 900, 9, 800, 0, 0, 0, 0]
    newer_dump = dict(sums)
    newer_dump[(EXTRA_DAY, EXTRA_CAMPAIGN)] = ["THE SOURCE - Streaming", Decimal("4.44"), 1000, 10, 900, 0, 0, 0, 0]
    _write_rollup(
        curated(lake_copy, AD.format("20250520")),
        ad_header,
        older_dump,
        shift={k: Decimal("0.50") for k in older_dump if k != (EXTRA_DAY, EXTRA_CAMPAIGN)},
    )
    _write_rollup(curated(lake_copy, AD.format("20250601")), ad_header, newer_dump, shift={first_day: Decimal("1.00")})
    shutil.copy(curated(lake_copy, AD.format("20250601")), curated(lake_copy, AD.format("latest")))
    shutil.copy(
        curated(lake_copy, "metaads/daily_performance_20250527.csv"),
        curated(lake_copy, "metaads/daily_performance_20250601.csv"),
    )  # a repeated copy

    # Expected Meta spend: the finest level per (date, campaign): the sample's ad-set rows, plus the newest dump's
    # roll-up where no ad-set row exists.
    per_campaign_day = {key: value[1] for key, value in sums.items()}
    per_campaign_day[(EXTRA_DAY, EXTRA_CAMPAIGN)] = Decimal("4.44")
    return {
        "tidy": {"T0": tidy_dir / "T0.csv", "T1": tidy_dir / "T1.csv"},
        "t0": t0,
        "t1": t1,
        "meta": per_campaign_day,
    }


def _expected_streams(t0: list[list[str]], t1: list[list[str]]) -> dict:
    """Per (date, source), each count from the newest window (T1) unless that count is a zero within T1's last 3
    dates of the source and T0 holds a real count (contract §2.2); summed per source."""

    def trailing(rows):
        last = defaultdict(list)
        for date, *_, source in rows:
            last[source].append(date)
        return {(d, s) for s, dates in last.items() for d in sorted(dates)[-3:]}

    old, new = {(r[0], r[4]): r for r in t0}, {(r[0], r[4]): r for r in t1}
    protected_old, protected_new = trailing(t0), trailing(t1)
    totals = defaultdict(lambda: [0, 0])
    for key in old.keys() | new.keys():
        for index, column in ((1, 0), (2, 1)):
            value = int(new[key][index]) if key in new else None
            if value == 0 and key in protected_new and key in old:
                older = int(old[key][index])
                if not (older == 0 and key in protected_old):
                    value = older
            totals[key[1]][column] += int(old[key][index]) if value is None else value
    return {source: (s, a, s + a) for source, (s, a) in totals.items()}


def _figures(client) -> dict:
    streams = {
        r["source"]: (r["s"], r["a"], r["c"])
        for r in DistributorDailyStream.objects.values("source").annotate(
            s=Sum("spotify_streams"), a=Sum("apple_streams"), c=Sum("combined_streams")
        )
    }
    meta = selectors.meta_facts_get().daily
    per_campaign, per_day = defaultdict(Decimal), defaultdict(Decimal)
    for row in meta:
        per_campaign[row["campaign_id"]] += row["spend"]
        per_day[row["date"].isoformat()] += row["spend"]
    cache.clear()  # the cache key holds the latest run id, which a rolled-back scenario may reuse
    kpis = client.get("/api/kpis").json()
    assert kpis["success"] is True
    return {
        "revenue": RoyaltyLine.objects.filter(retracted_by_file__isnull=True).aggregate(s=Sum("earnings_usd"))["s"],
        "streams": streams,
        "meta_per_campaign": dict(per_campaign),
        "meta_per_day": dict(per_day),
        "kpis": _without_run_stamps(kpis),
        "mismatches": meta_levels.meta_spend_mismatches_list(),
        "tables": fingerprint(),
    }


def _without_run_stamps(body):
    """/api/kpis apart from timestamps and run ids; `last_file` is the arrival lineage that goes with a load time."""
    if isinstance(body, dict):
        return {
            k: _without_run_stamps(v)
            for k, v in body.items()
            if k not in ("generated_at", "last_updated", "timestamp", "load_run_id", "last_loaded_at", "last_file")
        }
    if isinstance(body, list):
        return [_without_run_stamps(v) for v in body]
    return body


def _set_tidy(lake: Path, source: Path, *, mtime: float | None = None) -> None:
    target = curated(lake, TIDY)
    shutil.copy(source, target)
    if mtime is not None:
        os.utime(target, (mtime, mtime))


def _scenario(client, steps) -> list[dict]:
    """Runs `steps` (callables doing one load each) in a savepoint rolled back afterwards: their JSON payloads,
    then the figures."""
    payloads = []
    with transaction.atomic():
        for step in steps:
            code, payload, err = step()
            assert code == 0, err
            payloads.append(payload)
        payloads.append(_figures(client))
        transaction.set_rollback(True)
    return payloads


def test_every_order_gives_the_same_figures(lake_copy, variants, plain_user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(plain_user)}")
    lake = str(lake_copy)
    assert run_loader("--lake", lake, "--source", *BASE_KINDS)[0] == 0
    tidy = variants["tidy"]
    meta_files = [AD.format(s) for s in ("20250520", "20250527", "20250601", "latest")]

    def load_file(name):
        def step():
            if name in tidy:
                _set_tidy(lake_copy, tidy[name])  # the file arriving now: the newest mtime
                return run_loader("--lake", lake, "--file", TIDY)
            return run_loader("--lake", lake, "--file", name)

        return step

    # One file per run: a bounded, reproducible sample of the 6! orders (the first is the natural one).
    items = ["T0", "T1", *meta_files]
    orders = [items, items[::-1], *random.Random(10).sample(list(itertools.permutations(items)), 4)]
    results = [(" → ".join(order), _scenario(client, [load_file(n) for n in order])) for order in orders]

    # In one run: every Meta copy together, `_latest` placed by mtime before or after the dated copies, and the
    # tidy windows in either order (one fixed-name file per run), the older one with the newer mtime or not.
    def whole_lake(first, latest_mtime):
        def step():
            os.utime(curated(lake_copy, AD.format("latest")), (latest_mtime, latest_mtime))
            _set_tidy(lake_copy, tidy[first])
            return run_loader("--lake", lake, "--source", "tidy_daily_streams", "meta_ad_performance")

        return step

    early, late = (
        dt.datetime(2025, 5, 10, tzinfo=dt.UTC).timestamp(),
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp(),
    )
    for first, second in (("T0", "T1"), ("T1", "T0")):
        for latest_mtime in (early, late):
            steps = [whole_lake(first, latest_mtime), load_file(second)]
            results.append((f"one run ({first} first, _latest mtime {latest_mtime:.0f})", _scenario(client, steps)))

    reference_name, reference = results[0]
    figures = reference[-1]
    for name, payloads in results[1:]:
        assert payloads[-1] == figures, f"{name} differs from {reference_name}: {_differences(payloads[-1], figures)}"

    # The common figures are the ones the contract's rules give (computed from the files above).
    assert figures["revenue"] == Decimal("1587.06001527")
    assert figures["streams"] == _expected_streams(variants["t0"], variants["t1"])
    assert sum(figures["streams"]["distrokid"][2:] + figures["streams"]["toolost"][2:]) == 1_103_695 + 36 + 27
    expected_per_campaign, expected_per_day = defaultdict(Decimal), defaultdict(Decimal)
    for (day, campaign), spend in variants["meta"].items():
        expected_per_campaign[int(campaign)] += spend
        expected_per_day[day] += spend
    assert {str(k): v for k, v in figures["meta_per_campaign"].items()} == {
        str(_campaign_pk(k)): v for k, v in expected_per_campaign.items()
    }
    assert figures["meta_per_day"] == dict(expected_per_day)
    assert sum(figures["meta_per_day"].values()) == Decimal("1889.10") + Decimal("4.44")
    assert figures["kpis"]["data"]["marketing"]["total_spend_usd"] == 1893.54
    assert figures["mismatches"] == []  # superseded roll-ups are never counted, so the account figures reconcile

    # The older window arriving last is counted kept_newer, row by row, and rolled nothing back.
    natural = dict(results)[" → ".join(items[::-1])]
    t0_entry = by_path(natural[items[::-1].index("T0")])[TIDY]
    overlap = {(r[0], r[4]) for r in variants["t0"]} & {(r[0], r[4]) for r in variants["t1"]}
    assert t0_entry["counters"]["kept_newer"] == len(overlap)
    assert t0_entry["rows_inserted"] == 3  # the dates that rolled off the newer window


def _campaign_pk(meta_id: int) -> int:
    return Campaign.objects.get(campaign_id=str(meta_id)).pk


def _differences(left, right, path="") -> list[str]:
    if isinstance(left, dict) and isinstance(right, dict):
        return [d for k in left.keys() | right.keys() for d in _differences(left.get(k), right.get(k), f"{path}.{k}")]
    return [] if left == right else [f"{path}: {left!r} != {right!r}"]
