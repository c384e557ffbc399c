"""TikTok (contract §2.5): the sample file's oracle figures (README §4.3), variants A/B, handle → account,
year_mismatch, future_date against the name timestamp, leading all-zero days, Followers 0 → NULL, idempotency."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Count, Max, Min, Sum

from tests.etl.helpers import fingerprint
from tests.etl.sources.conftest import counts, load, put, quarantined
from warehouse.models import ArtistAlias, SocialAccount, SourceFile, TiktokDaily

pytestmark = pytest.mark.django_db

SAMPLE = "tiktok_analytics_curated_20250527_113822.csv"
A = ["artist", "zone", "date", "Video Views", "Profile Views", "Likes", "Comments", "Shares", "Year", "engagement_rate"]
B = [*A, "Followers", "new_followers"]


def test_sample_file_oracle_and_idempotency(lake_copy):
    code, files, _ = load(lake_copy, "--source", "tiktok")
    assert code == 0
    assert counts(files[SAMPLE]) == ("loaded", 365, 308, 0, 0, 0, None)
    days = TiktokDaily.objects.all()
    totals = days.aggregate(
        n=Count("id"),
        views=Sum("video_views"),
        profile=Sum("profile_views"),
        likes=Sum("likes"),
        comments=Sum("comments"),
        shares=Sum("shares"),
        first=Min("date"),
        last=Max("date"),
    )
    assert totals == {
        "n": 308,
        "views": 7816759,
        "profile": 73104,
        "likes": 1113352,
        "comments": 147773,
        "shares": 60424,
        "first": dt.date(2024, 7, 24),
        "last": dt.date(2025, 5, 27),
    }
    # The 57 leading all-zero days (2024-05-28..07-23) are skipped and counted, not quarantined.
    assert SourceFile.objects.get(path=SAMPLE).counters == {"leading_zero_days_skipped": 57}
    last = days.get(date=dt.date(2025, 5, 27))
    assert (
        last.account.handle,
        last.account.artist.name,
        last.video_views,
        last.engagement_ratio,
        last.followers_snapshot,
        last.new_followers,
    ) == ("pig1987", "PIG1987", 9456, Decimal("0.0992"), None, 0)
    assert days.filter(followers_snapshot__isnull=False).count() == 0  # Followers 0 = unknown → NULL
    assert days.filter(date__year=2024).count() == 218 - 57 and days.filter(date__year=2025).count() == 147

    before = fingerprint()
    code, files, _ = load(lake_copy, "--source", "tiktok")
    assert (code, files[SAMPLE]["status"]) == (0, "skipped")
    code, files, _ = load(lake_copy, "--source", "tiktok", "--force")
    assert counts(files[SAMPLE]) == ("loaded", 365, 0, 0, 308, 0, None)
    assert fingerprint() == before


def test_variant_a_new_handle_year_future_and_interior_zero_days(lake):
    rows = [
        ["newhandle", "newhandle", "2025-03-01", 0, 0, 0, 0, 0, 2025, "0.0"],  # leading zero: skipped
        ["newhandle", "newhandle", "2025-03-02", 100, 2, 10, 1, 1, 2025, "0.12"],
        ["newhandle", "newhandle", "2025-03-03", 0, 0, 0, 0, 0, 2025, "0.0"],  # interior zero: loaded
        ["newhandle", "newhandle", "2025-03-04", 50, 1, 5, 0, 0, 2024, "0.1"],  # line 5: year_mismatch
        ["newhandle", "newhandle", "2025-03-06", 70, 1, 5, 0, 0, 2025, "0.0714"],  # line 6: after stamp + 1 day
        ["zone.a0", "zone.a0", "2025-03-05", 10, 0, 1, 0, 0, 2025, "0.1"],
    ] + [["zone.a0", "zone.a0", f"2025-02-{d:02d}", 10 + d, 0, 1, 0, 0, 2025, "0.05"] for d in range(1, 28)]
    name = "tiktok_analytics_curated_20250304_090000.csv"
    put(lake, name, A, rows)
    code, files, _ = load(lake, "--max-bad-ratio", "0.5")
    assert code == 0
    assert counts(files[name]) == ("loaded", 33, 30, 0, 0, 2, None)
    assert quarantined(name) == [(5, "year_mismatch"), (6, "future_date")]
    account = SocialAccount.objects.get(platform__slug="tiktok", handle="newhandle")
    assert account.artist is None
    assert ArtistAlias.objects.get(alias_key="newhandle").artist is None  # queued for staff
    new_days = TiktokDaily.objects.filter(account=account).order_by("date")
    assert [(str(d.date), d.video_views, d.followers_snapshot, d.new_followers) for d in new_days] == [
        ("2025-03-02", 100, None, None),
        ("2025-03-03", 0, None, None),
    ]
    zone = TiktokDaily.objects.filter(account__handle="zone.a0")
    assert zone.count() == 28 and {d.account.artist.name for d in zone} == {"ZONE A0"}
    assert SourceFile.objects.get(path=name).schema_variant == "A"


def test_variant_b_followers_snapshot_and_newer_file_wins(lake):
    old = "tiktok_analytics_curated_20250601_000000.csv"
    new = "tiktok_analytics_curated_20250602_000000.csv"
    put(lake, old, B, [["pig1987", "pig1987", "2025-05-31", 10, 1, 1, 0, 0, 2025, "0.1", 0, 0]])
    put(
        lake,
        new,
        B,
        [
            ["pig1987", "pig1987", "2025-05-31", 12, 1, 1, 0, 0, 2025, "0.0833", 5120, 3],
            ["pig1987", "pig1987", "2025-06-01", 20, 1, 2, 0, 0, 2025, "0.1", 5120, 0],
        ],
    )
    code, files, _ = load(lake)
    assert code == 0
    assert counts(files[old]) == ("loaded", 1, 1, 0, 0, 0, None)
    assert counts(files[new]) == ("loaded", 2, 1, 1, 0, 0, None)
    days = {
        str(d.date): (d.video_views, d.engagement_ratio, d.followers_snapshot, d.new_followers)
        for d in TiktokDaily.objects.all()
    }
    assert days == {"2025-05-31": (12, Decimal("0.0833"), 5120, 3), "2025-06-01": (20, Decimal("0.1"), 5120, 0)}


def test_unknown_header_is_rejected_naming_both_variants(lake):
    name = "tiktok_analytics_curated_20250601_000000.csv"
    put(lake, name, ["artist", "zone", "date", "Views"], [["pig1987", "pig1987", "2025-05-31", 1]])
    code, files, _ = load(lake)
    assert code == 1
    assert files[name]["status"] == "rejected" and files[name]["reason"] == "unknown_header"
    message = SourceFile.objects.get(path=name).message
    assert message.startswith(f"{name}: rejected (unknown_header): ")
    assert "B (12 columns): missing Video Views" in message and "A (10 columns): missing Video Views" in message
    assert "unexpected Views" in message
    assert TiktokDaily.objects.count() == 0
