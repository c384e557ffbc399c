"""Meta ad_performance (contract §2.7, §3 #13, #24): the sample oracle (README §4.5: Σ spend 1,889.10 over 31
ad-set rows, never doubled by the `_latest` twin), ids as text, `.0` stripped, exponent ids quarantined, empty
campaign ids resolved by a unique name or quarantined `missing_campaign_id`, the name-only variant."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from tests.etl.helpers import curated, fingerprint, read_rows, run_loader
from tests.etl.sources.conftest import counts, load, put, quarantined
from warehouse import selectors
from warehouse.models import AdPerformanceDaily, Campaign, LoadRun, SourceFile

pytestmark = pytest.mark.django_db

DATED = "metaads/ad_performance_20250527.csv"
LATEST = "metaads/ad_performance_latest.csv"
META = ("--source", "meta_campaign_summary", "meta_ad_performance")
HEADER = [
    "date",
    "campaign_name",
    "campaign_id",
    "adset_name",
    "adset_id",
    "spend_usd",
    "impressions",
    "clicks",
    "reach",
    "cpm",
    "cpc",
    "ctr",
]


def test_sample_oracle_spend_not_doubled_and_idempotent(lake_copy):
    code, files, _ = load(lake_copy, *META)
    assert code == 0
    assert counts(files[DATED]) == ("loaded", 31, 31, 0, 0, 0, None)
    assert files[LATEST]["status"] == "skipped"
    days = AdPerformanceDaily.objects.all()
    totals = days.aggregate(
        n=Count("id"),
        spend=Sum("spend_usd"),
        imp=Sum("impressions"),
        clicks=Sum("clicks"),
        reach=Sum("reach"),
        campaigns=Count("campaign", distinct=True),
        dates=Count("date", distinct=True),
    )
    assert totals == {
        "n": 31,
        "spend": Decimal("1889.10"),
        "imp": 5255985,
        "clicks": 31074,
        "reach": 1987180,
        "campaigns": 13,
        "dates": 7,
    }
    assert Campaign.objects.count() == 13  # every fact found its campaign in the dimension
    top = days.get(campaign__campaign_id="120224907266750075", adset_id="120224907266810075")  # line 2
    assert (
        top.adset_id,
        top.adset_name,
        top.spend_usd,
        top.cpc_usd,
        top.ctr_pct,
        top.cpm_usd,
        top.ad_name,
        top.pixel_link_click,
    ) == (
        "120224907266810075",
        "THE STATE OF THE WORLD - AD 3",
        Decimal("19.53"),
        Decimal("0.132857"),
        Decimal("1.264951"),
        Decimal("0"),
        "",
        0,
    )
    by_campaign = days.filter(campaign__name="ANOVUS - Streaming - Copy 2").aggregate(s=Sum("spend_usd"))["s"]
    assert by_campaign == Decimal("259.37")

    before = fingerprint()
    code, files, _ = load(lake_copy, *META, "--force")
    assert counts(files[DATED]) == ("loaded", 31, 0, 0, 31, 0, None)
    assert counts(files[LATEST]) == ("loaded", 31, 0, 0, 31, 0, None)  # the twin wins with identical values
    assert fingerprint() == before
    assert days.aggregate(s=Sum("spend_usd"))["s"] == Decimal("1889.10")


def test_ids_empty_campaign_ids_and_exponents(lake):
    Campaign.objects.create(campaign_id="120000000000000001", name="PIG1987 - DYSMORPHIA - Streaming")
    Campaign.objects.create(campaign_id="120000000000000002", name="TWIN NAME")
    Campaign.objects.create(campaign_id="120000000000000003", name="TWIN NAME")
    name = "metaads/ad_performance_20250601.csv"
    put(
        lake,
        name,
        HEADER,
        [
            ["2025-06-01", "PIG1987 - DYSMORPHIA - Streaming", "", "", "", "5.00", 100, 3, "", "", "", ""],  # by name
            ["2025-06-01", "TWIN NAME", "", "", "", "1.00", 10, 1, "", "", "", ""],  # line 3: two campaigns
            ["2025-06-01", "NOBODY", "", "", "", "1.00", 10, 1, "", "", "", ""],  # line 4: no campaign
            ["2025-06-01", "X", "1.20224907266750E+17", "", "", "1.00", 10, 1, "", "", "", ""],  # line 5: exponent
            [
                "2025-06-01",
                "ANOVUS - Streaming",
                "120000000000000009.0",
                "AS",
                "120000000000000010.0",
                "2.50",
                50,
                2,
                "40.0",
                "",
                "0.05",
                "4.0",
            ],  # `.0` stripped; unknown id creates the campaign
            [
                "2025-06-02",
                "PIG1987 - DYSMORPHIA - Streaming",
                "120000000000000001",
                "",
                "",
                "3.25",
                60,
                2,
                "",
                "",
                "",
                "",
            ],
        ],
    )
    code, files, _ = load(lake, "--max-bad-ratio", "0.6")
    assert code == 0
    assert counts(files[name]) == ("loaded", 6, 3, 0, 0, 3, None)
    assert quarantined(name) == [(3, "missing_campaign_id"), (4, "missing_campaign_id"), (5, "id_precision_lost")]
    rows = {
        (str(r.date), r.campaign.campaign_id, r.adset_id): (r.spend_usd, r.reach)
        for r in AdPerformanceDaily.objects.select_related("campaign")
    }
    assert rows == {
        ("2025-06-01", "120000000000000001", ""): (Decimal("5.00"), None),
        ("2025-06-01", "120000000000000009", "120000000000000010"): (Decimal("2.50"), 40),
        ("2025-06-02", "120000000000000001", ""): (Decimal("3.25"), None),
    }
    created = Campaign.objects.get(campaign_id="120000000000000009")
    assert (created.name, created.artist.name, created.token.token, created.parse_status) == (
        "ANOVUS - Streaming",
        "ZONE A0",
        "ANOVUS",
        "parsed",
    )
    assert SourceFile.objects.get(path=name).counters == {
        "meta_id_trailing_dot0": 2,
        "integral_float": 1,
        "campaigns_created_from_facts": 1,
        "campaign_id_from_name": 1,
    }


def test_name_only_variant(lake):
    Campaign.objects.create(campaign_id="120000000000000001", name="THE SOURCE - Streaming")
    name = "metaads/ad_performance_20250601.csv"
    put(
        lake,
        name,
        ["date", "campaign_name", "ad_name", "spend_usd", "impressions", "clicks", "quality_ranking"],
        [
            ["2025-06-01", "THE SOURCE - Streaming", "AD 1", "1.10", 10, 1, "AVERAGE"],
            ["2025-06-01", "THE SOURCE - Streaming", "AD 2", "2.20", 20, 2, ""],
        ],
    )
    code, files, _ = load(lake)
    assert code == 0
    assert counts(files[name]) == ("loaded", 2, 2, 0, 0, 0, None)
    assert SourceFile.objects.get(path=name).schema_variant == "by_name"
    assert sorted(AdPerformanceDaily.objects.values_list("ad_name", "spend_usd", "quality_ranking")) == [
        ("AD 1", Decimal("1.10"), "AVERAGE"),
        ("AD 2", Decimal("2.20"), ""),
    ]


def test_dry_run_reports_counts_and_writes_no_campaigns_or_tokens(lake):
    name = "metaads/ad_performance_20250601.csv"
    put(
        lake,
        name,
        HEADER,
        [
            [
                "2025-06-01",
                "PIG1987 - BRAND NEW SONG - Streaming",
                "120000000000000009",
                "",
                "",
                "2.50",
                50,
                2,
                "",
                "",
                "",
                "",
            ],
        ],
    )
    code, files, _ = load(lake, "--dry-run")
    assert code == 0
    assert counts(files[name]) == ("loaded", 1, 1, 0, 0, 0, None)
    assert (Campaign.objects.count(), AdPerformanceDaily.objects.count()) == (0, 0)
    from warehouse.models import CampaignToken

    assert not CampaignToken.objects.filter(token="BRAND NEW SONG").exists()
    code, files, _ = load(lake)
    assert counts(files[name]) == ("loaded", 1, 1, 0, 0, 0, None)
    created = Campaign.objects.get(campaign_id="120000000000000009")
    assert (created.artist.name, created.token.token, created.token.needs_review, created.parsed_track_text) == (
        "PIG1987",
        "BRAND NEW SONG",
        True,
        "BRAND NEW SONG",
    )


ROLLUP = "metaads/ad_performance_20250601.csv"


def _campaign_level_rollup(lake_copy, *, shift: Decimal) -> dict:
    """Another dump's dated file holding campaign-level roll-ups (empty adset_id) of the sample's ad-set rows."""
    header, rows = read_rows(curated(lake_copy, DATED))
    col = {name: i for i, name in enumerate(header)}
    sums: dict[tuple, list] = {}
    for r in rows:
        entry = sums.setdefault((r[col["date"]], r[col["campaign_id"]], r[col["campaign_name"]]), [Decimal(0), 0, 0])
        entry[0] += Decimal(r[col["spend_usd"]])
        entry[1] += int(r[col["impressions"]])
        entry[2] += int(r[col["clicks"]])
    put(
        lake_copy,
        ROLLUP,
        ["date", "campaign_name", "campaign_id", "adset_id", "spend_usd", "impressions", "clicks"],
        [
            [day, name, campaign, "", str(spend + shift), imp, clicks]
            for (day, campaign, name), (spend, imp, clicks) in sorted(sums.items())
        ],
    )
    return sums


def test_campaign_level_rollups_are_stored_superseded_and_never_summed(lake_copy):
    """§2.7 levels: the finest level present counts per (date, campaign), whichever dump arrived first."""
    sums = _campaign_level_rollup(lake_copy, shift=Decimal("0.25"))
    code, files, _ = load(lake_copy, *META, "--file", ROLLUP, "--file", "metaads/campaign_summary_20250527.csv")
    assert (code, counts(files[ROLLUP])) == (0, ("loaded", len(sums), len(sums), 0, 0, 0, None))
    rollups = AdPerformanceDaily.objects.filter(adset_id="")
    assert (rollups.count(), rollups.filter(superseded=True).count()) == (len(sums), 0)  # alone: they count
    spend = selectors.kpis_get(today=dt.date(2025, 6, 1))["marketing"]["total_spend_usd"]  # exact, unrounded
    assert spend == Decimal("1889.10") + Decimal("0.25") * len(sums)

    code, files, _ = load(lake_copy, *META)  # the ad-set dump arrives later: it supersedes every roll-up
    assert counts(files[DATED])[:3] == ("loaded", 31, 31)
    assert (rollups.count(), rollups.filter(superseded=True).count()) == (len(sums), len(sums))
    assert not AdPerformanceDaily.objects.exclude(adset_id="").filter(superseded=True).exists()
    assert selectors.kpis_get(today=dt.date(2025, 6, 1))["marketing"]["total_spend_usd"] == Decimal("1889.10")
    spend = {
        r["campaign_id"]: r["spend"] for r in selectors.meta_facts_get().daily if r["date"] == dt.date(2025, 5, 23)
    }
    assert sum(spend.values()) == Decimal("170.85")  # = ad_account_daily 2025-05-23: the levels reconcile


def test_meta_spend_mismatch_is_a_run_warning_in_json_and_admin(lake_copy, client, staff_user):
    """§2.9: after every run that loaded a Meta file, counted spend is reconciled per date against
    ad_account_daily; differences over $0.01 are `meta_spend_mismatch` warnings (JSON and admin), figures intact."""
    header, rows = read_rows(curated(lake_copy, "metaads/daily_performance_20250527.csv"))
    for row in rows:
        if row[0] == "2025-05-23":
            row[1] = "170.87"  # 2 cents more than the campaigns' 170.85
        if row[0] == "2025-05-02":
            row[1] = "229.81"  # 1 cent: within the tolerance
    for name in ("20250601", "latest"):  # a newer dump, and `_latest` rewritten with it as upstream does
        put(lake_copy, f"metaads/daily_performance_{name}.csv", header, rows)
    code, payload, err = run_loader("--lake", str(lake_copy))
    assert code == 0
    mismatch = [
        {
            "date": "2025-05-23",
            "counted_usd": "170.8500000000",
            "account_usd": "170.8700000000",
            "difference_usd": "-0.0200000000",
        }
    ]
    assert payload["warnings"] == [
        {
            "code": "meta_spend_mismatch",
            "message": "Meta campaign spend differs from ad_account_daily by more than $0.01 on 1 date(s): "
            "2025-05-23 counted 170.8500000000 vs account 170.8700000000",
            "dates": mismatch,
        }
    ]
    assert "warning (meta_spend_mismatch)" in err
    run = LoadRun.objects.get(pk=payload["run_id"])
    assert run.warnings == payload["warnings"]
    assert selectors.kpis_get(today=dt.date(2025, 6, 1))["marketing"]["total_spend_usd"] == Decimal("1889.10")

    client.force_login(staff_user)
    page = client.get("/admin/warehouse/loadrun/").content.decode()
    assert "meta_spend_mismatch: Meta campaign spend differs from ad_account_daily" in page
    assert "2025-05-23 counted 170.8500000000 vs account 170.8700000000" in page

    code, payload, _ = run_loader("--lake", str(lake_copy), "--source", "tiktok", "--force")
    assert (code, payload["warnings"]) == (0, [])  # a run that loaded no Meta file reconciles nothing
