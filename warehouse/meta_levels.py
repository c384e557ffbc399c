"""Meta Ads levels and reconciliation (contract §2.7 "Levels", §2.9 "Reconciliation, every run").

`ad_performance` dumps of different levels overlap: a campaign-level roll-up (empty `adset_id`) and the ad-set
rows of another dump describe the same spend. For each (date, campaign) only the finest level present counts: the
coarser rows stay stored with `superseded` set and are never summed. Marking is a function of the stored rows
alone, so the totals never depend on which dumps sit together or in which order they were loaded.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Exists, OuterRef, Q

from warehouse.models import AdAccountDaily, AdPerformanceDaily
from warehouse.selectors import meta_facts_get

RECONCILE_TOLERANCE = Decimal("0.01")


def ad_performance_levels_mark() -> int:
    """Writes: set `superseded` on every row that has finer rows beside it, clear it elsewhere. Returns the number
    of rows whose mark changed. Campaign level is superseded by any ad-set row of that (date, campaign); an ad-set
    row by ad rows of the same ad set."""
    rows = AdPerformanceDaily.objects
    same_day = rows.filter(date=OuterRef("date"), campaign_id=OuterRef("campaign_id"))
    finer = Q(Exists(same_day.exclude(adset_id="")), adset_id="") | Q(
        Exists(same_day.filter(adset_id=OuterRef("adset_id")).exclude(ad_name="")), ~Q(adset_id=""), ad_name=""
    )
    marked = rows.filter(finer, superseded=False).update(superseded=True)
    return marked + rows.filter(~finer, superseded=True).update(superseded=False)


def meta_spend_mismatches_list() -> list[dict]:
    """Reads: per date covered by both, the counted campaign spend (selectors.meta_facts_get: finest ad level,
    else campaign_daily) against `ad_account_daily`, where they differ by more than $0.01. Figures are unchanged."""
    counted: dict = {}
    for row in meta_facts_get().daily:
        counted[row["date"]] = counted.get(row["date"], Decimal(0)) + row["spend"]
    account = dict(AdAccountDaily.objects.filter(date__in=list(counted)).values_list("date", "spend_usd"))
    return [
        {
            "date": day.isoformat(),
            "counted_usd": str(counted[day]),
            "account_usd": str(account[day]),
            "difference_usd": str(counted[day] - account[day]),
        }
        for day in sorted(account)
        if abs(counted[day] - account[day]) > RECONCILE_TOLERANCE
    ]


def meta_run_warnings() -> list[dict]:
    """The run summary's warnings after a run that loaded a Meta file (contract §2.9)."""
    mismatches = meta_spend_mismatches_list()
    if not mismatches:
        return []
    dates = ", ".join(f"{m['date']} counted {m['counted_usd']} vs account {m['account_usd']}" for m in mismatches)
    return [
        {
            "code": "meta_spend_mismatch",
            "message": f"Meta campaign spend differs from ad_account_daily by more "
            f"than $0.01 on {len(mismatches)} date(s): {dates}",
            "dates": mismatches,
        }
    ]
