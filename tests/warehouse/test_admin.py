"""The admin as a logged-in staff user through the test client: changelists, search, filters, the unmatched-names
queue, campaign overrides and read-only facts. Master data comes from the seed migration (contract §4)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests import factories
from warehouse import models as m

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def facts():
    """One row of every fact and lineage table, from one load run, with text the changelists must show."""
    source_file = factories.SourceFileFactory(path="dk_bank_details/2025-03.csv", kind="dk_bank_details")
    run = source_file.load_run
    lineage = {"load_run": run, "source_file": source_file, "source_line": 2}
    zone = m.Artist.objects.get(name="ZONE A0")
    pig = m.Artist.objects.get(name="PIG1987")
    campaign = m.Campaign.objects.create(campaign_id="120210000000000001", name="PIG1987 - KEYGEN - STREAMING")
    spotify_track = m.SpotifyTrack.objects.create(spotify_track_id="4uLU6hMCjMI75M1A2tKUQC", name="GATEWAY SPOTIFY")
    account = m.SocialAccount.objects.create(platform=m.Platform.objects.get(slug="tiktok"), handle="admintest.handle")
    rows = {
        "royaltyline": factories.RoyaltyLineFactory(
            source_file=source_file, store="Tencent Music", artist_raw="PIG1987", title="KEYGEN", isrc="QZWFK2497196"
        ),
        "distributordailystream": factories.DistributorDailyStreamFactory(
            source_file=source_file, date=dt.date(2025, 2, 3), spotify_streams=4321
        ),
        "spotifyaudiencedaily": m.SpotifyAudienceDaily.objects.create(
            artist=zone,
            date=dt.date(2025, 2, 4),
            listeners=7,
            streams=11,
            followers=13,
            source_alias="zone_a0",
            **lineage,
        ),
        "spotifysongmetric": m.SpotifySongMetric.objects.create(
            spotify_track=spotify_track,
            spotify_artist_id="62owJQCD2XzVB2o19CVsFM",
            artist=zone,
            time_period="28day",
            extraction_date=dt.date(2025, 2, 5),
            streams=98765,
            listeners=1,
            savers=1,
            **lineage,
        ),
        "tiktokdaily": m.TiktokDaily.objects.create(
            account=account,
            date=dt.date(2025, 2, 6),
            video_views=55501,
            profile_views=1,
            likes=1,
            comments=1,
            shares=1,
            engagement_ratio=Decimal("0.05"),
            **lineage,
        ),
        "linktreedaily": m.LinktreeDaily.objects.create(
            date=dt.date(2025, 2, 7),
            total_views=31337,
            unique_views=1,
            total_clicks=1,
            unique_clicks=1,
            click_through_ratio=Decimal("0.5"),
            **lineage,
        ),
        "adaccountdaily": m.AdAccountDaily.objects.create(
            date=dt.date(2025, 2, 8), spend_usd=Decimal("12.34"), impressions=24680, clicks=1, reach=1, **lineage
        ),
        "adperformancedaily": m.AdPerformanceDaily.objects.create(
            date=dt.date(2025, 2, 9),
            campaign=campaign,
            adset_name="ADSET ALPHA",
            ad_name="AD ONE",
            spend_usd=Decimal("1"),
            impressions=1,
            clicks=1,
            **lineage,
        ),
        "adinsightwindow": m.AdInsightWindow.objects.create(
            campaign=campaign,
            adset_id="777",
            adset_name="ADSET WINDOW",
            date_start=dt.date(2025, 1, 1),
            date_stop=dt.date(2025, 1, 31),
            spend_usd=Decimal("1"),
            impressions=1,
            clicks=1,
            **lineage,
        ),
        "campaigndaily": m.CampaignDaily.objects.create(
            date=dt.date(2025, 2, 10),
            campaign=campaign,
            spend_usd=Decimal("2"),
            impressions=86420,
            clicks=1,
            **lineage,
        ),
        "businessexpense": m.BusinessExpense.objects.create(
            date=dt.date(2025, 2, 11),
            description="MASTERING STUDIO",
            amount_usd=Decimal("-20"),
            row_hash="a" * 64,
            occurrence=1,
            **lineage,
        ),
        "quarantinedrow": m.QuarantinedRow.objects.create(
            source_file=source_file, line=17, column="Earnings (USD)", reason="E_NOT_DECIMAL", message="not a number"
        ),
        "royaltymonthlyaggregate": m.RoyaltyMonthlyAggregate.objects.create(
            sale_month=dt.date(2025, 1, 1),
            store="Tencent Music",
            artist=pig,
            earnings_usd=Decimal("0.25"),
            gross_usd=Decimal("0.25"),
            adjustments_usd=Decimal("0"),
            quantity=100,
            line_count=1,
        ),
        "royaltydelayaggregate": m.RoyaltyDelayAggregate.objects.create(
            sale_month=dt.date(2025, 1, 1), reporting_month=dt.date(2025, 3, 1), line_count=4242
        ),
        "loadrun": run,
        "sourcefile": source_file,
    }
    return rows


def changelist(client, model_name, **params):
    response = client.get(reverse(f"admin:warehouse_{model_name}_changelist"), params)
    assert response.status_code == 200, response.content[:500]
    return response


def result_list(response):
    return list(response.context["cl"].result_list)


# --- Changelists ----------------------------------------------------------------------------------------------


MASTER_CHANGELISTS = {
    # model → text every changelist row set must show (seeded master data)
    "artist": ["PIG1987", "ZONE A0", "XXMEATWARRIOR69XX", "IWARY", "ZONE A0 X SXNCTUARY"],
    "track": [
        "QZTAW2496365",
        "HOLD ON I",
        "QZES62532055",
        "HEAVEN NIGHTCLUB (feat. ZONE A0)",
        "PIG1987, ZONE A0 (feat.)",
    ],
    "platform": ["Spotify", "Apple Music", "NetEase Cloud Music", "amazon_music"],
    "artistalias": ["zone.a0", "ZONE A0 &amp; Sxnctuary"],
    "storealias": ["YouTube (Ads)", "Amazon Prime (Streaming)"],
    "campaigntoken": ["THE STATE OF THE WORLD", "HEAVEN NIGHTCLUB"],
    "socialaccount": ["pig1987"],
}


@pytest.mark.parametrize("model_name", sorted(MASTER_CHANGELISTS))
def test_master_data_changelist_shows_the_seeded_rows(staff_client, model_name):
    html = changelist(staff_client, model_name).content.decode()
    for text in MASTER_CHANGELISTS[model_name]:
        assert text in html


def test_artist_changelist_counts_aliases_and_tracks(staff_client):
    rows = {a.name: (a.alias_total, a.track_total) for a in result_list(changelist(staff_client, "artist"))}
    # ZONE A0: itself, zone.a0, zonea0, zone_a0; tracks: 6 own + 9 TooLost + 1 featured (HEAVEN NIGHTCLUB)
    assert rows == {
        "IWARY": (1, 0),
        "PIG1987": (2, 8),
        "XXMEATWARRIOR69XX": (1, 0),
        "ZONE A0": (4, 17),
        "ZONE A0 X SXNCTUARY": (2, 0),
    }


def test_artist_change_page_lists_aliases_inline_and_tracks(staff_client):
    zone = m.Artist.objects.get(name="ZONE A0")
    response = staff_client.get(reverse("admin:warehouse_artist_change", args=[zone.pk]))
    assert response.status_code == 200
    formsets = {f.formset.prefix: f for f in response.context["inline_admin_formsets"]}
    aliases = sorted(form.instance.alias for form in formsets["aliases"].formset.forms)
    assert aliases == ["ZONE A0", "zone.a0", "zone_a0", "zonea0"]
    tracks = sorted(form.instance.track.isrc for form in formsets["track_artists"].formset.forms)
    assert tracks == sorted(
        [
            "QZTBF2441974",
            "QZTAW2496365",
            "QZTAW2496366",
            "QZTB92494812",
            "QZZ792400421",
            "QZZ7N2490366",
            "QZZ772465695",
            "QT2VB2509864",
            "QT2VB2509865",
            "QZPEW2531028",
            "QZVEM2588623",
            "QZVEM2588624",
            "QZVEM2588625",
            "QZVEM2588626",
            "QZVEM2588627",
            "QZVEM2588628",
            "QZES62532055",
        ]
    )
    assert "HOLD ON I" in response.content.decode()


FACT_CHANGELISTS = {
    "royaltyline": "Tencent Music",
    "distributordailystream": "4321",
    "spotifyaudiencedaily": "ZONE A0",
    "spotifysongmetric": "GATEWAY SPOTIFY",
    "tiktokdaily": "55501",
    "linktreedaily": "31337",
    "adaccountdaily": "24680",
    "adperformancedaily": "ADSET ALPHA",
    "adinsightwindow": "ADSET WINDOW",
    "campaigndaily": "86420",
    "businessexpense": "MASTERING STUDIO",
    "quarantinedrow": "E_NOT_DECIMAL",
    "royaltymonthlyaggregate": "Tencent Music",
    "royaltydelayaggregate": "4242",
    "loadrun": "succeeded",
    "sourcefile": "dk_bank_details/2025-03.csv",
}


@pytest.mark.parametrize("model_name", sorted(FACT_CHANGELISTS))
def test_fact_and_lineage_changelists_show_their_rows_read_only(staff_client, facts, model_name):
    response = changelist(staff_client, model_name)
    assert [row.pk for row in result_list(response)] == [facts[model_name].pk]
    html = response.content.decode()
    assert FACT_CHANGELISTS[model_name] in html
    assert reverse(f"admin:warehouse_{model_name}_add") not in html  # no "Add" button
    assert response.context["cl"].show_full_result_count is False


# --- Search ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "term, isrcs",
    [
        ("QZTAW2496365", ["QZTAW2496365"]),
        ("qz-taw-24-96365", ["QZTAW2496365"]),  # dashes and case ignored, as in loads and imports
        ("QZTAW24963", ["QZTAW2496365", "QZTAW2496366"]),
        ("hold on", ["QZTAW2496365", "QZTAW2496366"]),
        ("the few that remained", ["QZZ772465695", "QZZ7N2490366"]),  # two ISRCs, same title: two tracks
        ("199084451263", ["QZES62532055"]),  # UPC
    ],
)
def test_track_search_by_isrc_title_and_upc(staff_client, term, isrcs):
    response = changelist(staff_client, "track", q=term)
    assert sorted(t.isrc for t in result_list(response)) == isrcs
    for isrc in isrcs:
        assert isrc in response.content.decode()


@pytest.mark.parametrize(
    "term, names",
    [("zone.a0", ["ZONE A0"]), ("Sxnctuary", ["ZONE A0 X SXNCTUARY"]), ("1Eu67EqPy2NutiM0lqCarw", ["PIG1987"])],
)
def test_artist_search_by_alias_and_spotify_id(staff_client, term, names):
    assert [a.name for a in result_list(changelist(staff_client, "artist", q=term))] == names


def test_platform_search_by_store_alias(staff_client):
    assert [p.slug for p in result_list(changelist(staff_client, "platform", q="Amazon Prime"))] == ["amazon_music"]


def test_royalty_line_search_by_isrc_title_and_store(staff_client, facts):
    luna = m.Track.objects.get(isrc="QZTB92494812")
    factories.RoyaltyLineFactory(store="Spotify", title="LUNA", isrc="QZTB92494812", track=luna)
    factories.RoyaltyLineFactory(store="Spotify", title="LUNA (unresolved)", isrc="QZTB92494899")

    def found(term):
        return sorted((r.title, r.store) for r in result_list(changelist(staff_client, "royaltyline", q=term)))

    assert found("qz-tb9-24-94812") == [("LUNA", "Spotify")]  # through the track
    assert found("QZTB92494899") == [("LUNA (unresolved)", "Spotify")]  # no track: the raw ISRC
    assert found("QZWFK2497196") == []  # the fixture's KEYGEN line has no track link
    assert found("keygen") == [("KEYGEN", "Tencent Music")]
    assert found("tencent") == [("KEYGEN", "Tencent Music")]


# --- Filters --------------------------------------------------------------------------------------------------


def test_track_filter_needs_review_lists_the_toolost_catalog(staff_client):
    rows = result_list(changelist(staff_client, "track", needs_review__exact="1"))
    assert sorted(t.isrc for t in rows) == [
        "QT2VB2509864",
        "QT2VB2509865",
        "QZPEW2531028",
        "QZVEM2588623",
        "QZVEM2588624",
        "QZVEM2588625",
        "QZVEM2588626",
        "QZVEM2588627",
        "QZVEM2588628",
    ]


def test_track_filter_by_artist(staff_client):
    iwary = m.Artist.objects.get(name="XXMEATWARRIOR69XX")
    factories.TrackArtistFactory(track=factories.TrackFactory(isrc="QZTST2500001", title="MEAT"), artist=iwary)
    rows = result_list(changelist(staff_client, "track", artists__id__exact=iwary.pk))
    assert [(t.isrc, t.title) for t in rows] == [("QZTST2500001", "MEAT")]


def test_alias_filters_show_the_unmatched_queue(staff_client):
    m.ArtistAlias.objects.create(alias="Zone Aa0")
    m.StoreAlias.objects.create(store="Tencent")
    assert [a.alias for a in result_list(changelist(staff_client, "artistalias", matched="no"))] == ["Zone Aa0"]
    assert [s.store for s in result_list(changelist(staff_client, "storealias", matched="no"))] == ["Tencent"]
    assert len(result_list(changelist(staff_client, "storealias", matched="yes"))) == 17


def test_fact_filters_by_load_run_kind_date_and_source(staff_client, facts):
    other_file = factories.SourceFileFactory(kind="tidy_daily_streams", path="tidy_daily_streams.csv")
    later = factories.DistributorDailyStreamFactory(
        source_file=other_file, date=dt.date(2025, 5, 1), source=m.DistributorDailyStream.Source.TOOLOST
    )
    first = facts["distributordailystream"]

    def pks(**params):
        return [row.pk for row in result_list(changelist(staff_client, "distributordailystream", **params))]

    assert pks() == [first.pk, later.pk]
    assert pks(load_run=other_file.load_run_id) == [later.pk]
    assert pks(load_run=first.load_run_id) == [first.pk]
    assert pks(kind="tidy_daily_streams") == [later.pk]
    assert pks(kind="dk_bank_details") == [first.pk]
    assert pks(source__exact="toolost") == [later.pk]
    assert pks(**{"date__gte": "2025-04-01", "date__lt": "2025-06-01"}) == [later.pk]
    assert pks(load_run="not-a-number") == []
    html = changelist(staff_client, "distributordailystream").content.decode()
    assert "?kind=tidy_daily_streams" in html and f"?load_run={other_file.load_run_id}" in html


def test_royalty_line_filters(staff_client, facts):
    retracting = factories.SourceFileFactory(kind="dk_bank_details", path="dk_bank_details/2025-04.csv")
    adjustment = factories.RoyaltyLineFactory(
        source_file=retracting, earnings_usd=Decimal("-0.10"), sale_month=dt.date(2024, 12, 1)
    )
    facts["royaltyline"].retracted_by_file = retracting
    facts["royaltyline"].save()

    def pks(**params):
        return sorted(row.pk for row in result_list(changelist(staff_client, "royaltyline", **params)))

    assert pks(is_adjustment__exact="1") == [adjustment.pk]
    assert pks(retracted_by_file__isempty="0") == [facts["royaltyline"].pk]
    assert pks(load_run=retracting.load_run_id) == [adjustment.pk]
    assert pks(source_file=retracting.pk) == [adjustment.pk]
    assert pks(source_file=facts["sourcefile"].pk) == [facts["royaltyline"].pk]
    html = changelist(staff_client, "royaltyline").content.decode()
    assert f"?source_file={retracting.pk}" in html and "dk_bank_details/2025-04.csv" in html
    assert pks(**{"sale_month__gte": "2025-01-01", "sale_month__lt": "2025-02-01"}) == [facts["royaltyline"].pk]


def test_quarantined_rows_filter_by_load_run_and_reason(staff_client, facts):
    other = factories.SourceFileFactory(kind="linktree", path="linktree.csv")
    mine = m.QuarantinedRow.objects.create(source_file=other, line=3, reason="E_DATE")
    rows = result_list(changelist(staff_client, "quarantinedrow", load_run=other.load_run_id))
    assert [r.pk for r in rows] == [mine.pk]
    rows = result_list(changelist(staff_client, "quarantinedrow", reason__exact="E_NOT_DECIMAL"))
    assert [r.pk for r in rows] == [facts["quarantinedrow"].pk]
    rows = result_list(changelist(staff_client, "quarantinedrow", kind="linktree"))
    assert [r.pk for r in rows] == [mine.pk]


# --- Read-only facts and lineage -------------------------------------------------------------------------------


@pytest.mark.parametrize("model_name", sorted(FACT_CHANGELISTS))
def test_facts_and_lineage_cannot_be_added_changed_or_deleted(staff_client, facts, model_name):
    obj = facts[model_name]
    model = type(obj)
    before = model.objects.count()
    add = staff_client.get(reverse(f"admin:warehouse_{model_name}_add"))
    assert add.status_code == 403
    assert staff_client.post(reverse(f"admin:warehouse_{model_name}_add"), {}).status_code == 403
    change_url = reverse(f"admin:warehouse_{model_name}_change", args=[obj.pk])
    view = staff_client.get(change_url)
    assert view.status_code == 200 and view.context["has_change_permission"] is False
    assert staff_client.post(change_url, {"source_line": 999}).status_code == 403
    delete_url = reverse(f"admin:warehouse_{model_name}_delete", args=[obj.pk])
    assert staff_client.get(delete_url).status_code == 403
    assert staff_client.post(delete_url, {"post": "yes"}).status_code == 403
    bulk = staff_client.post(
        reverse(f"admin:warehouse_{model_name}_changelist"),
        {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
    )
    assert bulk.status_code == 200  # the action does not exist: the changelist re-renders
    assert model.objects.count() == before
    obj.refresh_from_db()


def test_every_fact_table_is_registered_read_only():
    from django.apps import apps
    from django.contrib import admin

    from warehouse.admin.base import ReadOnlyAdmin

    facts = {model for model in apps.get_app_config("warehouse").get_models() if issubclass(model, m.LineageMixin)}
    assert len(facts) == 11
    derived = {m.LoadRun, m.SourceFile, m.QuarantinedRow, m.RoyaltyMonthlyAggregate, m.RoyaltyDelayAggregate}
    for model in facts | derived:
        assert isinstance(admin.site._registry.get(model), ReadOnlyAdmin), model


def test_royalty_line_changelist_query_count_does_not_grow_with_rows(staff_client, facts):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries():
        with CaptureQueriesContext(connection) as captured:
            changelist(staff_client, "royaltyline")
        return [q["sql"] for q in captured.captured_queries]

    few = queries()
    factories.RoyaltyLineFactory.create_batch(40, source_file=facts["sourcefile"])
    many = queries()
    assert len(many) == len(few)
    counts = [sql for sql in many if "COUNT(" in sql.upper() and '"royalty_line"' in sql]
    assert len(counts) == 1  # the paginator's; show_full_result_count=False skips a second, unfiltered one


def test_admin_requires_staff(client, plain_user):
    client.force_login(plain_user)
    response = client.get(reverse("admin:warehouse_track_changelist"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


# --- Unmatched names ------------------------------------------------------------------------------------------


@pytest.fixture
def unmatched():
    loader_file = factories.SourceFileFactory(kind="tiktok", path="tiktok/zoneaa0.csv")
    return {
        "alias": m.ArtistAlias.objects.create(alias="Zone Aa0", first_seen_file=loader_file),
        "store": m.StoreAlias.objects.create(store="Tencent", first_seen_file=loader_file),
        "token": m.CampaignToken.objects.create(token="LUNA", needs_review=True),
        "campaign": m.Campaign.objects.create(
            campaign_id="120200000000000009",
            name="IWARY - BROAD",
            targeting="BROAD",
            parse_status=m.Campaign.ParseStatus.AMBIGUOUS,
        ),
    }


def test_unmatched_page_lists_every_kind(staff_client, unmatched):
    index = staff_client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:warehouse_unmatched") in index
    response = staff_client.get(reverse("admin:warehouse_unmatched"))
    assert response.status_code == 200
    assert [a.alias for a in response.context["artist_aliases"]] == ["Zone Aa0"]
    assert [s.store for s in response.context["store_aliases"]] == ["Tencent"]
    assert [t.token for t in response.context["campaign_tokens"]] == ["LUNA"]
    assert [c.name for c in response.context["campaigns"]] == ["IWARY - BROAD"]
    html = response.content.decode()
    for text in ("Zone Aa0", "tiktok/zoneaa0.csv", "Tencent", "LUNA", "IWARY - BROAD", "ambiguous"):
        assert text in html


def test_mapping_an_unmatched_artist_alias(staff_client, unmatched):
    zone = m.Artist.objects.get(name="ZONE A0")
    response = staff_client.post(
        reverse("admin:warehouse_unmatched"),
        {"kind": "artist_alias", "pk": unmatched["alias"].pk, "artist": zone.pk},
        follow=True,
    )
    assert response.status_code == 200
    unmatched["alias"].refresh_from_db()
    assert (unmatched["alias"].artist, unmatched["alias"].alias_key) == (zone, "zone aa0")
    assert list(response.context["artist_aliases"]) == []
    assert "Mapped artist alias: Zone Aa0 → ZONE A0" in response.content.decode()


def test_mapping_an_unmatched_store(staff_client, unmatched):
    other = m.Platform.objects.create(slug="tencent", name="Tencent Music", type="streaming")
    staff_client.post(
        reverse("admin:warehouse_unmatched"), {"kind": "store_alias", "pk": unmatched["store"].pk, "platform": other.pk}
    )
    unmatched["store"].refresh_from_db()
    assert unmatched["store"].platform == other


def test_mapping_a_campaign_token_to_a_track_takes_its_primary_artist(staff_client, unmatched):
    luna = m.Track.objects.get(isrc="QZTB92494812")
    staff_client.post(
        reverse("admin:warehouse_unmatched"), {"kind": "campaign_token", "pk": unmatched["token"].pk, "track": luna.pk}
    )
    token = m.CampaignToken.objects.get(pk=unmatched["token"].pk)
    assert (token.artist.name, token.track.isrc, token.needs_review) == ("ZONE A0", "QZTB92494812", False)


def test_mapping_an_ambiguous_campaign_sets_an_override(staff_client, unmatched):
    pig = m.Artist.objects.get(name="PIG1987")
    staff_client.post(
        reverse("admin:warehouse_unmatched"), {"kind": "campaign", "pk": unmatched["campaign"].pk, "artist": pig.pk}
    )
    campaign = m.Campaign.objects.get(pk=unmatched["campaign"].pk)
    assert (campaign.artist, campaign.track, campaign.targeting, campaign.parse_status, campaign.is_override) == (
        pig,
        None,
        "BROAD",
        "override",
        True,
    )


def test_mapping_without_a_choice_maps_nothing(staff_client, unmatched):
    response = staff_client.post(
        reverse("admin:warehouse_unmatched"), {"kind": "artist_alias", "pk": unmatched["alias"].pk}, follow=True
    )
    assert "Nothing mapped: choose a artist for Zone Aa0 → unmatched" in response.content.decode()
    unmatched["alias"].refresh_from_db()
    assert unmatched["alias"].artist is None
    response = staff_client.post(
        reverse("admin:warehouse_unmatched"), {"kind": "campaign_token", "pk": unmatched["token"].pk}, follow=True
    )
    assert "Nothing mapped: Choose an artist or a track." in response.content.decode()
    assert m.CampaignToken.objects.get(pk=unmatched["token"].pk).needs_review is True


def test_mapping_needs_change_permission(client, django_user_model, unmatched):
    viewer = django_user_model.objects.create_user(username="looker", password="pw-looker-123", is_staff=True)
    client.force_login(viewer)
    assert client.get(reverse("admin:warehouse_unmatched")).status_code == 403  # staff, but no view permission
    viewer.user_permissions.add(Permission.objects.get(codename="view_artistalias"))
    viewer = django_user_model.objects.get(pk=viewer.pk)  # drop the cached permissions
    client.force_login(viewer)
    assert client.get(reverse("admin:warehouse_unmatched")).status_code == 200
    zone = m.Artist.objects.get(name="ZONE A0")
    response = client.post(
        reverse("admin:warehouse_unmatched"), {"kind": "artist_alias", "pk": unmatched["alias"].pk, "artist": zone.pk}
    )
    assert response.status_code == 403
    unmatched["alias"].refresh_from_db()
    assert unmatched["alias"].artist is None


def test_list_editable_maps_an_alias_on_the_filtered_changelist(staff_client, unmatched):
    zone = m.Artist.objects.get(name="ZONE A0")
    alias = unmatched["alias"]
    response = staff_client.post(
        reverse("admin:warehouse_artistalias_changelist") + "?matched=no",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "form-0-id": alias.pk,
            "form-0-artist": zone.pk,
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    alias.refresh_from_db()
    assert alias.artist == zone


# --- Campaign override ----------------------------------------------------------------------------------------


def test_editing_a_campaign_mapping_sets_the_override(staff_client):
    campaign = m.Campaign.objects.create(
        campaign_id="120200000000000010",
        name="ZONE A0 - THE SCALE",
        parse_status=m.Campaign.ParseStatus.PARSED,
        artist=m.Artist.objects.get(name="ZONE A0"),
    )
    luna = m.Track.objects.get(isrc="QZTB92494812")
    url = reverse("admin:warehouse_campaign_change", args=[campaign.pk])
    response = staff_client.post(
        url, {"artist": campaign.artist_id, "track": luna.pk, "targeting": "TECHNO", "_save": "Save"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign.refresh_from_db()
    assert (campaign.track, campaign.targeting, campaign.is_override, campaign.parse_status) == (
        luna,
        "TECHNO",
        True,
        "override",
    )
    staff_client.post(
        reverse("admin:warehouse_campaign_changelist"),
        {"action": "clear_override", "_selected_action": [campaign.pk]},
    )
    campaign.refresh_from_db()  # re-parsed at once: ZONE A0 / the seeded THE SCALE token / no targeting
    assert (campaign.is_override, campaign.parse_status, campaign.artist.name, campaign.token.token) == (
        False,
        "parsed",
        "ZONE A0",
        "THE SCALE",
    )
    assert (campaign.track, campaign.targeting) == (None, None)


def test_saving_a_campaign_without_mapping_changes_keeps_the_parser_result(staff_client):
    campaign = m.Campaign.objects.create(
        campaign_id="120200000000000011",
        name="PIG1987 - KEYGEN",
        parse_status=m.Campaign.ParseStatus.PARSED,
        artist=m.Artist.objects.get(name="PIG1987"),
    )
    url = reverse("admin:warehouse_campaign_change", args=[campaign.pk])
    response = staff_client.post(url, {"artist": campaign.artist_id, "track": "", "targeting": "", "_save": "Save"})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.is_override, campaign.parse_status) == (False, "parsed")


# --- Master-data forms ----------------------------------------------------------------------------------------


def test_adding_a_duplicate_alias_spelling_shows_an_error(staff_client):
    response = staff_client.post(reverse("admin:warehouse_artistalias_add"), {"alias": "ZONE.A0", "artist": ""})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "alias": ["The alias 'ZONE.A0' exists already (matching ignores case and spaces)."]
    }
    assert m.ArtistAlias.objects.filter(alias_key="zone.a0").count() == 1


def test_adding_a_track_normalizes_its_isrc_and_saves_its_artists(staff_client):
    zone = m.Artist.objects.get(name="ZONE A0")
    response = staff_client.post(
        reverse("admin:warehouse_track_add"),
        {
            "isrc": "qz-new-25-00011",
            "title": "ADMIN TRACK",
            "upc": "",
            "release_date": "",
            "release_type": "",
            "track_artists-TOTAL_FORMS": "1",
            "track_artists-INITIAL_FORMS": "0",
            "track_artists-MIN_NUM_FORMS": "0",
            "track_artists-MAX_NUM_FORMS": "1000",
            "track_artists-0-artist": zone.pk,
            "track_artists-0-role": "primary",
            "track_artists-0-label_share_pct": "40",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    track = m.Track.objects.get(isrc="QZNEW2500011")
    assert [(ta.artist.name, ta.role, ta.label_share_pct) for ta in track.track_artists.all()] == [
        ("ZONE A0", "primary", 40)
    ]
    bad = staff_client.post(
        reverse("admin:warehouse_track_add"),
        {
            "isrc": "QZ-BAD",
            "title": "NO",
            "_save": "Save",
            "track_artists-TOTAL_FORMS": "0",
            "track_artists-INITIAL_FORMS": "0",
        },
    )
    assert bad.context["adminform"].form.errors == {"isrc": ["ISRC must look like CCXXXYYNNNNN (e.g. QZTAW2496365)."]}
    assert not m.Track.objects.filter(title="NO").exists()


def test_the_loader_resolves_through_a_mapping_made_in_the_admin(staff_client, unmatched):
    """What the loader calls for every raw artist/store name (warehouse.services) sees the admin's mapping."""
    from warehouse import services

    assert services.artist_alias_resolve(names=["zone  AA0"]) == {"zone  AA0": None}
    assert services.store_alias_resolve(stores=["Tencent"]) == {"Tencent": None}
    zone = m.Artist.objects.get(name="ZONE A0")
    netease = m.Platform.objects.get(slug="netease")
    url = reverse("admin:warehouse_unmatched")
    staff_client.post(url, {"kind": "artist_alias", "pk": unmatched["alias"].pk, "artist": zone.pk})
    staff_client.post(url, {"kind": "store_alias", "pk": unmatched["store"].pk, "platform": netease.pk})
    assert services.artist_alias_resolve(names=["zone  AA0"]) == {"zone  AA0": zone.pk}
    assert services.store_alias_resolve(stores=["Tencent"]) == {"Tencent": netease.pk}
    assert m.ArtistAlias.objects.filter(alias_key="zone aa0").count() == 1  # resolved, not queued again


def test_mapping_backfills_lines_already_loaded_and_their_aggregates(staff_client, unmatched):
    """Lines loaded while a name was unmatched get the mapping at once; the summaries follow."""
    from warehouse import services

    line = factories.RoyaltyLineFactory(
        artist=None, artist_raw="ZONE  aa0", store="Tencent", platform=None, earnings_usd=Decimal("1.2345678901")
    )
    services.royalty_aggregates_rebuild()
    zone = m.Artist.objects.get(name="ZONE A0")
    netease = m.Platform.objects.get(slug="netease")
    url = reverse("admin:warehouse_unmatched")
    staff_client.post(url, {"kind": "artist_alias", "pk": unmatched["alias"].pk, "artist": zone.pk})
    staff_client.post(url, {"kind": "store_alias", "pk": unmatched["store"].pk, "platform": netease.pk})
    line.refresh_from_db()
    assert (line.artist, line.platform) == (zone, netease)
    aggregate = m.RoyaltyMonthlyAggregate.objects.get()
    assert (aggregate.artist, aggregate.platform, aggregate.artist_raw, aggregate.earnings_usd) == (
        zone,
        netease,
        "",
        Decimal("1.2345678901"),
    )


def test_campaign_parser_uses_token_mappings_and_overrides_made_in_the_admin(staff_client):
    from warehouse import services

    name = "PIG1987 - KEYGEN TEASER - STREAMING"
    first = services.campaign_name_parse(name=name)  # a load meets an unknown title: it is queued for staff
    assert (first.token.token, first.token.needs_review, first.track) == ("KEYGEN TEASER", True, None)
    campaign = m.Campaign.objects.create(
        campaign_id="120200000000000012", name=name, parse_status="parsed", artist=first.artist, token=first.token
    )
    page = staff_client.get(reverse("admin:warehouse_unmatched"))
    assert [t.token for t in page.context["campaign_tokens"]] == ["KEYGEN TEASER"]
    keygen = m.Track.objects.get(isrc="QZWFK2497196")
    staff_client.post(
        reverse("admin:warehouse_unmatched"), {"kind": "campaign_token", "pk": first.token.pk, "track": keygen.pk}
    )
    again = services.campaign_name_parse(name=name)
    assert (again.artist.name, again.track, again.targeting, again.parse_status) == (
        "PIG1987",
        keygen,
        "STREAMING",
        "parsed",
    )
    campaign.refresh_from_db()  # the stored campaign is re-parsed at once, not at the next changed file
    assert (campaign.artist.name, campaign.track, campaign.targeting, campaign.parse_status) == (
        "PIG1987",
        keygen,
        "STREAMING",
        "parsed",
    )

    zone = m.Artist.objects.get(name="ZONE A0")
    staff_client.post(
        reverse("admin:warehouse_campaign_change", args=[campaign.pk]),
        {"artist": zone.pk, "track": "", "targeting": "BROAD", "_save": "Save"},
    )
    staff = services.campaign_name_parse(name=name, campaign_id="120200000000000012")
    assert (staff.artist, staff.track, staff.targeting, staff.parse_status) == (zone, None, "BROAD", "override")
