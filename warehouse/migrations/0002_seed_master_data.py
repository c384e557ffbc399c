"""Seed the label's master data from the curated-zone contract (§4): artists, aliases, platforms, DistroKid
store aliases, the observed track catalog, Meta campaign tokens and social accounts."""

from django.db import migrations

ARTISTS = [
    ("PIG1987", "1Eu67EqPy2NutiM0lqCarw"),
    ("ZONE A0", "62owJQCD2XzVB2o19CVsFM"),
    ("XXMEATWARRIOR69XX", None),
    ("IWARY", None),
    ("ZONE A0 X SXNCTUARY", None),
]

# alias → canonical. Canonical names are aliases of themselves so resolution is one lookup; matching is
# case-insensitive, so `pig1987` (TikTok handle, Spotify audience name) is covered by `PIG1987`.
ALIASES = {
    "PIG1987": "PIG1987",
    "ZONE A0": "ZONE A0",
    "XXMEATWARRIOR69XX": "XXMEATWARRIOR69XX",
    "IWARY": "IWARY",
    "ZONE A0 X SXNCTUARY": "ZONE A0 X SXNCTUARY",
    "zone.a0": "ZONE A0",
    "zonea0": "ZONE A0",
    "zone_a0": "ZONE A0",
    "ZONE A0 & Sxnctuary": "ZONE A0 X SXNCTUARY",
    # A joint credit, not an artist: single-artist facts use the primary (PIG1987); tracks add ZONE A0 featured.
    "PIG1987 & ZONE A0": "PIG1987",
}

# slug, name, type, rate key (dashboard contract B1 slugs; rate keys from curated-zone §5)
PLATFORMS = [
    ("spotify", "Spotify", "streaming", "spotify"),
    ("apple_music", "Apple Music", "streaming", "apple_music"),
    ("itunes", "iTunes", "download", "default"),
    ("youtube", "YouTube", "streaming", "youtube"),
    ("amazon_music", "Amazon Music", "streaming", "amazon"),
    ("tidal", "Tidal", "streaming", "tidal"),
    ("deezer", "Deezer", "streaming", "default"),
    ("pandora", "Pandora", "streaming", "default"),
    ("tiktok", "TikTok", "social", "default"),
    ("facebook", "Facebook", "social", "default"),
    ("netease", "NetEase Cloud Music", "streaming", "default"),
    ("flo", "FLO", "streaming", "default"),
    ("luna", "Luna", "streaming", "default"),
    ("linktree", "Linktree", "social", "default"),
    ("meta_ads", "Meta Ads", "advertising", "default"),
    ("distrokid", "DistroKid", "distribution", "default"),
    ("toolost", "TooLost", "distribution", "default"),
]

STORE_ALIASES = {
    "Spotify": "spotify",
    "Apple Music": "apple_music",
    "iTunes Songs": "itunes",
    "iTunes Match": "itunes",
    "YouTube (Ads)": "youtube",
    "YouTube (Red)": "youtube",
    "YouTube (Audio)": "youtube",
    "Amazon Unlimited (Streaming)": "amazon_music",
    "Amazon Prime (Streaming)": "amazon_music",
    "Tidal": "tidal",
    "Deezer": "deezer",
    "Pandora": "pandora",
    "TikTok": "tiktok",
    "Facebook": "facebook",
    "NetEase": "netease",
    "Flo": "flo",
    "Luna": "luna",
}

# isrc, title, primary artist, featured artist, upc, needs_review (TooLost: artist inferred, staff confirm)
TRACKS = [
    ("QZZ7M2424176", "AI GENERATED GHOST JOBS", "PIG1987", None, "198875268226", False),
    ("QZZ772463135", "AIGENERATEDGHOSTJOBS", "PIG1987", None, "198877566399", False),
    ("QZZ7M2426076", "DYSMORPHIA", "PIG1987", None, "198875261609", False),
    ("QZES62532055", "HEAVEN NIGHTCLUB (feat. ZONE A0)", "PIG1987", "ZONE A0", "199084451263", False),
    ("QZWFK2497196", "KEYGEN", "PIG1987", None, "198884932026", False),
    ("QZTBF2439187", "PERVERSION", "PIG1987", None, "198888700416", False),
    ("QZK6K2562910", "TRANSFORMER ARCHITECTURE", "PIG1987", None, "199340298182", False),
    ("QZTBF2441974", "GATEWAY", "ZONE A0", None, "198888661472", False),
    ("QZTAW2496365", "HOLD ON I", "ZONE A0", None, "198667254765", False),
    ("QZTAW2496366", "HOLD ON II", "ZONE A0", None, "198667254765", False),
    ("QZTB92494812", "LUNA", "ZONE A0", None, "198891507125", False),
    ("QZZ792400421", "PATHFINDER (feat. PIG1987)", "ZONE A0", "PIG1987", "198877568324", False),
    ("QZZ7N2490366", "THE FEW THAT REMAINED", "ZONE A0", None, "199098987017", False),
    ("QZZ772465695", "The Few That Remained", "ZONE A0", None, "198877558325", False),
    ("QT2VB2509864", "ANOVUS", "ZONE A0", None, "", True),
    ("QT2VB2509865", "ENGAGEMENT PROTOCOL", "ZONE A0", None, "", True),
    ("QZPEW2531028", "ENGAGEMENT PROTOCOL", "ZONE A0", None, "", True),
    ("QZVEM2588623", "THE SOURCE", "ZONE A0", None, "", True),
    ("QZVEM2588624", "Z1", "ZONE A0", None, "", True),
    ("QZVEM2588625", "THE SOURCE (SLOWED)", "ZONE A0", None, "", True),
    ("QZVEM2588626", "ENGAGEMENT PROTOCOL (SLOWED)", "ZONE A0", None, "", True),
    ("QZVEM2588627", "Z1 (SLOWED)", "ZONE A0", None, "", True),
    ("QZVEM2588628", "ANOVUS (SLOWED)", "ZONE A0", None, "", True),
]

# token, artist, isrc (contract §4.4). IWARY has no artist on purpose: it is also an artist, so the parser
# flags names using it as ambiguous.
CAMPAIGN_TOKENS = [
    ("THE STATE OF THE WORLD", "PIG1987", None),
    ("DYSMORPHIA", "PIG1987", "QZZ7M2426076"),
    ("HEAVEN NIGHTCLUB", "PIG1987", "QZES62532055"),
    ("TRANSFORMER ARCHITECTURE", "PIG1987", "QZK6K2562910"),
    ("RENEGADE PIPELINE", "PIG1987", None),
    ("THE SOURCE", "ZONE A0", "QZVEM2588623"),
    ("ANOVUS", "ZONE A0", "QT2VB2509864"),
    ("THE SCALE", "ZONE A0", None),
    ("ENGAGEMENT PROTOCOL", "ZONE A0", None),
    ("THE FEW THAT REMAINED", "ZONE A0", None),
    ("IWARY", None, None),
]

# platform slug, handle, artist
SOCIAL_ACCOUNTS = [
    ("tiktok", "pig1987", "PIG1987"),
    ("tiktok", "zone.a0", "ZONE A0"),
    ("tiktok", "zonea0", "ZONE A0"),
    ("linktree", "bedrotprod", None),
]

COUNTRIES = {"NA": "Namibia", "OU": "DistroKid: other / unknown territory"}


def seed(apps, schema_editor):
    Artist = apps.get_model("warehouse", "Artist")
    ArtistAlias = apps.get_model("warehouse", "ArtistAlias")
    Platform = apps.get_model("warehouse", "Platform")
    StoreAlias = apps.get_model("warehouse", "StoreAlias")
    Track = apps.get_model("warehouse", "Track")
    TrackArtist = apps.get_model("warehouse", "TrackArtist")
    CampaignToken = apps.get_model("warehouse", "CampaignToken")
    SocialAccount = apps.get_model("warehouse", "SocialAccount")
    Country = apps.get_model("warehouse", "Country")

    artists = {name: Artist.objects.create(name=name, spotify_artist_id=sid) for name, sid in ARTISTS}
    for alias, canonical in ALIASES.items():
        # Historical models skip custom save(): compute the matching key here (same rule as normalize_alias).
        ArtistAlias.objects.create(alias=alias, alias_key=" ".join(alias.split()).casefold(), artist=artists[canonical])
    platforms = {
        slug: Platform.objects.create(slug=slug, name=name, type=type_, rate_key=rate_key)
        for slug, name, type_, rate_key in PLATFORMS
    }
    for store, slug in STORE_ALIASES.items():
        StoreAlias.objects.create(store=store, platform=platforms[slug])
    tracks = {}
    for isrc, title, primary, featured, upc, needs_review in TRACKS:
        track = Track.objects.create(isrc=isrc, title=title, upc=upc, needs_review=needs_review)
        tracks[isrc] = track
        TrackArtist.objects.create(track=track, artist=artists[primary], role="primary")
        if featured:
            TrackArtist.objects.create(track=track, artist=artists[featured], role="featured")
    for token, artist, isrc in CAMPAIGN_TOKENS:
        CampaignToken.objects.create(
            token=token, artist=artists.get(artist) if artist else None, track=tracks.get(isrc) if isrc else None
        )
    for slug, handle, artist in SOCIAL_ACCOUNTS:
        SocialAccount.objects.create(
            platform=platforms[slug], handle=handle, artist=artists.get(artist) if artist else None
        )
    for code, name in COUNTRIES.items():
        Country.objects.create(code=code, name=name)


class Migration(migrations.Migration):
    dependencies = [("warehouse", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
