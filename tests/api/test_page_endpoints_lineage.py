"""GET /api/sources and /api/campaigns/streams without the module-wide sample load of test_page_endpoints.py: an
empty warehouse, and a lake with a rejected file and quarantined rows."""

import pytest

from tests.api.conftest import token_client
from tests.api.test_page_endpoints import ZERO, expected_sources
from tests.conftest import SAMPLE_LAKE
from tests.etl.helpers import curated, run_loader
from warehouse.selectors import Stamp

pytestmark = pytest.mark.django_db


def test_sources_count_rejected_files_and_quarantined_rows_of_each_files_newest_version(lake_copy, plain_user):
    tidy = curated(lake_copy, "tidy_daily_streams.csv")
    lines = tidy.read_text().split("\n")
    lines[19] += ",extra"  # one malformed row: quarantined at line 20
    lines[30] += ",extra"
    tidy.write_text("\n".join(lines))
    linktree = curated(lake_copy, "linktree_analytics.csv")
    linktree.write_text(linktree.read_text().replace("totalViews", "views", 1))  # renamed column: file rejected
    assert run_loader("--lake", str(lake_copy))[0] == 1
    kinds = {
        name: {"files": 1, **ZERO}
        for name in (
            "dk_bank_details",
            "tiktok",
            "meta_campaign_summary",
            "meta_daily_performance",
            "meta_ad_performance",
        )
    }
    kinds["tidy_daily_streams"] = {"files": 1, "files_rejected": 0, "rows_quarantined": 2}
    kinds["linktree"] = {"files": 1, "files_rejected": 1, "rows_quarantined": 0}
    body = token_client(plain_user).get("/api/sources").json()
    assert body["data"] == expected_sources(kinds)
    assert body["data"]["linktree"]["files_rejected"] == 1 and body["data"]["toolost_streams"]["rows_quarantined"] == 2

    # Fixed and loaded again: the newest version of each file counts, so the page stops reporting them.
    for name in ("tidy_daily_streams.csv", "linktree_analytics.csv"):
        curated(lake_copy, name).write_bytes(curated(SAMPLE_LAKE, name).read_bytes())
    assert run_loader("--lake", str(lake_copy))[0] == 0
    kinds["tidy_daily_streams"] = kinds["linktree"] = {"files": 1, **ZERO}
    assert token_client(plain_user).get("/api/sources").json()["data"] == expected_sources(kinds)


def test_page_endpoints_on_an_empty_warehouse(viewer):
    stamp = Stamp.get()
    assert viewer.get("/api/campaigns/streams").json() == {
        "success": True,
        "data": [],
        "metadata": {
            "streams_source": "distributor (distrokid + toolost), complete days",
            "streams_through": None,
            "load_run_id": stamp.load_run_id,
            "last_updated": stamp.last_updated,
        },
    }
    assert viewer.get("/api/sources").json()["data"] == expected_sources({})
