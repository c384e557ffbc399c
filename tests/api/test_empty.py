"""An empty warehouse: the three soft failures, and every other endpoint keeps its shape (never a 500)."""

import pytest

pytestmark = pytest.mark.django_db


def test_soft_failures_and_empty_warehouse(viewer, db):
    """No data: the three soft failures, and every other endpoint keeps its shape with zeros (never a 500)."""
    assert viewer.get("/api/kpis/realtime").json() == {"success": False, "error": "No streaming data available"}
    assert viewer.get("/api/streaming/growth").json() == {
        "success": False,
        "error": "Insufficient data for growth calculation",
    }
    assert viewer.get("/api/streaming/spotify-audience").json() == {
        "success": False,
        "error": "No Spotify audience data available",
    }
    assert viewer.get("/api/revenue/delays").json()["data"] == {
        "average_delay_months": 0,
        "most_common_delay_months": 0,
        "delay_distribution": {},
    }
    assert viewer.get("/api/revenue/distributor").json()["data"] == {
        s: {"days_active": 0, "total_streams": 0, "spotify_streams": 0, "apple_streams": 0, "estimated_revenue": 0.0}
        for s in ("distrokid", "toolost")
    }
    assert viewer.get("/api/kpis/summary").json()["data"] == {
        "total_revenue": 0.0,
        "total_streams": 0,
        "average_revenue_per_stream": 0.0,
        "current_month_revenue": 0.0,
        "artist_count": 0,
        "top_artist": None,
        "distributor_breakdown": {"distrokid": 0.0, "toolost": 0.0},
        "last_updated": None,
    }
    assert viewer.get("/api/revenue/monthly").json()["data"] == []
    assert viewer.get("/api/streaming/summary").json()["data"]["date_range"] == {"start": None, "end": None, "days": 0}
