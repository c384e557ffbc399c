"""Linktree (contract §2.6): the sample file's oracle (README §4.4), fixed and timestamped names (newest wins
per date), `__typename` ignored, an empty clickThroughRate computed, idempotency."""

import datetime as dt
import os
from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from tests.etl.helpers import fingerprint
from tests.etl.sources.conftest import counts, load, put, quarantined
from warehouse.models import LinktreeDaily, SourceFile

pytestmark = pytest.mark.django_db

SAMPLE = "linktree_analytics.csv"
HEADER = ["date", "totalViews", "uniqueViews", "totalClicks", "uniqueClicks", "clickThroughRate"]


def test_sample_file_oracle_and_idempotency(lake_copy):
    code, files, _ = load(lake_copy, "--source", "linktree")
    assert code == 0
    assert counts(files[SAMPLE]) == ("loaded", 365, 365, 0, 0, 0, None)
    totals = LinktreeDaily.objects.aggregate(
        n=Count("id"),
        clicks=Sum("total_clicks"),
        views=Sum("total_views"),
        uviews=Sum("unique_views"),
        uclicks=Sum("unique_clicks"),
    )
    assert totals == {"n": 365, "clicks": 1767, "views": 3502, "uviews": 2309, "uclicks": 979}
    day = LinktreeDaily.objects.get(date=dt.date(2025, 5, 25))  # clicks > views: a ratio above 1, kept
    assert (day.account, day.total_views, day.total_clicks, day.click_through_ratio) == (
        "bedrotprod",
        8,
        9,
        Decimal("1.125"),
    )
    assert LinktreeDaily.objects.filter(click_through_ratio__gt=1).count() == 5

    before = fingerprint()
    code, files, _ = load(lake_copy, "--source", "linktree", "--force")
    assert counts(files[SAMPLE]) == ("loaded", 365, 0, 0, 365, 0, None)
    assert fingerprint() == before


def test_fixed_and_timestamped_copies_newest_wins_typename_ignored_ratio_computed(lake):
    older = "linktree_analytics_curated_20250520_120000.csv"
    put(
        lake,
        older,
        [*HEADER, "__typename"],
        [
            ["2025-05-18", 10, 8, 2, 2, "0.2", "LinkAnalytics"],
            ["2025-05-19", 20, 10, 5, 3, "0.25", "LinkAnalytics"],
        ],
    )
    fixed = put(
        lake,
        SAMPLE,
        HEADER,
        [
            ["2025-05-19", 21, 10, 6, 3, ""],  # revised day, ratio left empty → 6/21 = 0.2857
            ["2025-05-20", 0, 0, 0, 0, ""],  # no views → 0
            ["2025-05-21", 3, 3, 1, 1, "abc"],  # line 4: bad_number
        ],
    )
    stamp = dt.datetime(2025, 5, 28, tzinfo=dt.UTC).timestamp()  # the fixed name is placed by its mtime
    os.utime(fixed, (stamp, stamp))
    code, files, _ = load(lake, "--max-bad-ratio", "0.5")
    assert code == 0
    assert counts(files[older]) == ("loaded", 2, 2, 0, 0, 0, None)
    assert counts(files[SAMPLE]) == ("loaded", 3, 1, 1, 0, 1, None)
    assert quarantined(SAMPLE) == [(4, "bad_number")]
    days = {str(d.date): (d.total_views, d.total_clicks, d.click_through_ratio) for d in LinktreeDaily.objects.all()}
    assert days == {
        "2025-05-18": (10, 2, Decimal("0.2")),
        "2025-05-19": (21, 6, Decimal("0.2857")),
        "2025-05-20": (0, 0, Decimal("0")),
    }
    assert SourceFile.objects.get(path=older).counters == {"extra_column": 1}
    assert SourceFile.objects.get(path=SAMPLE).counters == {"ratio_computed": 2}


def test_the_newest_copy_wins_whatever_order_the_copies_arrive_in(lake):
    """A newer copy loaded first, an older one arriving later: the older never overwrites, and --force changes
    nothing (contract §1.1: "on a key conflict the newer copy wins")."""
    newer, older = "linktree_analytics_curated_20250601_000000.csv", "linktree_analytics_curated_20250501_000000.csv"
    put(lake, newer, HEADER, [["2025-04-30", 10, 9, 5, 4, "0.5"]])
    assert load(lake)[0] == 0
    put(lake, older, HEADER, [["2025-04-30", 7, 7, 1, 1, "0.1429"], ["2025-04-29", 3, 3, 0, 0, "0.0"]])
    code, files, _ = load(lake)
    assert code == 0
    assert counts(files[older]) == ("loaded", 2, 1, 0, 1, 0, None)  # its new date loads, its stale day does not
    stored = {str(d.date): (d.total_views, d.total_clicks, d.source_file.path) for d in LinktreeDaily.objects.all()}
    assert stored == {"2025-04-30": (10, 5, newer), "2025-04-29": (3, 0, older)}
    before = fingerprint()
    code, files, _ = load(lake, "--force")
    assert [counts(files[p])[2:5] for p in (older, newer)] == [(0, 0, 2), (0, 0, 1)]
    assert fingerprint() == before
