"""The Meta campaign-name parser against every row of the contract's table (curated-zone §4.4), on the seeded
master data, plus the review queue and manual overrides."""

import pytest

from warehouse.models import Artist, Campaign, CampaignToken, Track
from warehouse.services import campaign_name_parse

# name → (artist, token, targeting, parse_status, is_copy): the contract's "required result" column.
CONTRACT_TABLE = [
    (
        "PIG1987 - THE STATE OF THE WORLD - BROAD SPOTIFY",
        ("PIG1987", "THE STATE OF THE WORLD", "BROAD SPOTIFY", "parsed", False),
    ),
    ("PIG1987 - DYSMORPHIA - Streaming", ("PIG1987", "DYSMORPHIA", "STREAMING", "parsed", False)),
    ("PIG1987 - HEAVEN NIGHTCLUB - Streaming - Copy", ("PIG1987", "HEAVEN NIGHTCLUB", "STREAMING", "parsed", True)),
    (
        "PIG1987 - TRANSFORMER ARCHITECTURE - STREAMING",
        ("PIG1987", "TRANSFORMER ARCHITECTURE", "STREAMING", "parsed", False),
    ),
    ("THE SOURCE - Streaming", ("ZONE A0", "THE SOURCE", "STREAMING", "parsed", False)),
    ("PIG1987 - HEAVEN NIGHTCLUB", ("PIG1987", "HEAVEN NIGHTCLUB", None, "parsed", False)),
    ("ANOVUS - Streaming - Copy 2", ("ZONE A0", "ANOVUS", "STREAMING", "parsed", True)),
    ("ENGAGEMENT PROTOCOL - Streaming - Copy", ("ZONE A0", "ENGAGEMENT PROTOCOL", "STREAMING", "parsed", True)),
    ("THE FEW THAT REMAINED - Streaming", ("ZONE A0", "THE FEW THAT REMAINED", "STREAMING", "parsed", False)),
    ("IWARY - BROAD", (None, None, "BROAD", "ambiguous", False)),
    ("IWARY - TECHNO SPOTIFY - Copy", (None, None, "TECHNO SPOTIFY", "ambiguous", True)),
    ("ZONE A0 ANOVUS STREAMING CAMPAIGN", ("ZONE A0", "ANOVUS", "STREAMING CAMPAIGN", "nonconforming", False)),
    ("THE SCALE", ("ZONE A0", "THE SCALE", None, "parsed", False)),
    ("RENEGADE PIPELINE", ("PIG1987", "RENEGADE PIPELINE", None, "parsed", False)),
    ("New Engagement Ad Set", (None, None, "ENGAGEMENT", "account_level", False)),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "expected"), CONTRACT_TABLE, ids=[name for name, _ in CONTRACT_TABLE])
def test_contract_table_row(name, expected):
    result = campaign_name_parse(name=name)
    assert result.as_tuple() == expected
    assert result.parsed_track_text == ""
    assert CampaignToken.objects.filter(needs_review=True).count() == 0  # known names queue nothing


@pytest.mark.django_db
def test_token_links_its_seeded_track_and_spacing_and_case_do_not_matter():
    result = campaign_name_parse(name="  pig1987  -   dysmorphia -  streaming  - copy 3 ")
    assert result.as_tuple() == ("PIG1987", "DYSMORPHIA", "STREAMING", "parsed", True)
    assert result.track == Track.objects.get(isrc="QZZ7M2426076")
    # Tokens seeded without an ISRC (two candidate ISRCs, staff pick) have no track yet.
    assert campaign_name_parse(name="ENGAGEMENT PROTOCOL - Streaming").track is None


@pytest.mark.django_db
def test_alias_in_artist_position_resolves_to_canonical():
    result = campaign_name_parse(name="zone_a0 - THE SCALE - HARD TRANCE")
    assert result.as_tuple() == ("ZONE A0", "THE SCALE", "HARD TRANCE", "parsed", False)


@pytest.mark.django_db
def test_unknown_track_segment_is_queued_once_and_reparse_is_stable():
    first = campaign_name_parse(name="PIG1987 - NEW SINGLE - Streaming")
    assert first.as_tuple() == ("PIG1987", "NEW SINGLE", "STREAMING", "parsed", False)
    assert first.parsed_track_text == "NEW SINGLE"
    queued = CampaignToken.objects.get(token="NEW SINGLE")
    assert (queued.needs_review, queued.artist, queued.track) == (True, None, None)
    second = campaign_name_parse(name="PIG1987 - NEW SINGLE - Streaming")
    assert second == first
    assert CampaignToken.objects.filter(token="NEW SINGLE").count() == 1


@pytest.mark.django_db
def test_unknown_first_of_two_is_queued_and_takes_no_artist():
    result = campaign_name_parse(name="MYSTERY TUNE - Broad")
    assert result.as_tuple() == (None, "MYSTERY TUNE", "BROAD", "parsed", False)
    assert result.parsed_track_text == "MYSTERY TUNE"


@pytest.mark.django_db
def test_dry_run_parse_queues_nothing():
    result = campaign_name_parse(name="PIG1987 - NEW SINGLE - Streaming", queue_unknown=False)
    assert result.as_tuple() == ("PIG1987", None, "STREAMING", "parsed", False)
    assert result.parsed_track_text == "NEW SINGLE"
    assert not CampaignToken.objects.filter(token="NEW SINGLE").exists()


@pytest.mark.django_db
def test_targeting_word_is_never_a_track():
    result = campaign_name_parse(name="PIG1987 - Streaming")
    assert result.as_tuple() == ("PIG1987", None, "STREAMING", "parsed", False)
    assert CampaignToken.objects.filter(needs_review=True).count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # One segment with nothing known in it, or two artists in it: unparsed, targeting = the name.
        ("SUMMER PROMO", (None, None, "SUMMER PROMO", "unparsed", False)),
        ("PIG1987 ZONE A0 PROMO", (None, None, "PIG1987 ZONE A0 PROMO", "unparsed", False)),
        # Only a token found in one segment: artist from the token.
        ("THE SOURCE PROMO - Copy", ("ZONE A0", "THE SOURCE", "PROMO", "nonconforming", True)),
        # A longer alias wins over the artist it contains.
        ("ZONE A0 X SXNCTUARY PROMO", ("ZONE A0 X SXNCTUARY", None, "PROMO", "nonconforming", False)),
        # IWARY found by scanning is still both an artist and a title.
        ("IWARY TECHNO PUSH", (None, None, "TECHNO PUSH", "ambiguous", False)),
        # Two artists as segments, or the artist after the title: no known scheme.
        ("PIG1987 - ZONE A0 - STREAMING", (None, None, "PIG1987 - ZONE A0 - STREAMING", "unparsed", False)),
        ("THE SOURCE - ZONE A0", (None, None, "THE SOURCE - ZONE A0", "unparsed", False)),
    ],
)
def test_edge_names(name, expected):
    assert campaign_name_parse(name=name).as_tuple() == expected


@pytest.mark.django_db
def test_manual_override_beats_the_parser():
    zone = Artist.objects.get(name="ZONE A0")
    token = CampaignToken.objects.get(token="THE SCALE")
    Campaign.objects.create(
        campaign_id="120218209525770075",
        name="IWARY - BROAD",
        artist=zone,
        token=token,
        targeting="BROAD",
        is_override=True,
        parse_status=Campaign.ParseStatus.OVERRIDE,
    )
    result = campaign_name_parse(name="IWARY - BROAD", campaign_id="120218209525770075")
    assert result.as_tuple() == ("ZONE A0", "THE SCALE", "BROAD", "override", False)
    # Another campaign with the same name and no override is still parsed.
    assert campaign_name_parse(name="IWARY - BROAD", campaign_id="999").as_tuple() == (
        None,
        None,
        "BROAD",
        "ambiguous",
        False,
    )


@pytest.mark.django_db
def test_reparse_after_staff_map_a_queued_token_and_clear_an_override():
    from warehouse.services import campaign_reparse, campaign_upsert

    campaign, outcome = campaign_upsert(campaign_id="1", name="NEW SINGLE - Streaming")
    assert outcome == "inserted"
    assert (campaign.artist, campaign.token.token, campaign.parse_status) == (None, "NEW SINGLE", "parsed")
    manual, _ = campaign_upsert(campaign_id="2", name="NEW SINGLE - Broad")
    Campaign.objects.filter(pk=manual.pk).update(is_override=True, targeting="HAND SET", parse_status="override")

    CampaignToken.objects.filter(token="NEW SINGLE").update(
        artist=Artist.objects.get(name="ZONE A0"), needs_review=False
    )
    assert campaign_reparse() == 1
    campaign.refresh_from_db()
    assert (campaign.artist.name, campaign.targeting, campaign.parsed_track_text) == ("ZONE A0", "STREAMING", "")
    manual.refresh_from_db()
    assert (manual.artist, manual.targeting, manual.parse_status) == (None, "HAND SET", "override")
    assert campaign_reparse() == 0
