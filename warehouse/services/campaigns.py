"""Meta campaigns: the name parser (contract §4.4), the campaign dimension and re-parsing after staff changes."""

import re
from dataclasses import dataclass

from warehouse.artist_lookup import artists_by_key
from warehouse.models import Artist, Campaign, CampaignToken, SourceFile, Track, normalize_alias

# --- Meta campaign names (contract §4.4) -------------------------------------------------------------------------
# Parsing reads artist_alias / campaign_token and queues unknown track-position segments as
# CampaignToken(needs_review=True) for staff.


CAMPAIGN_TARGETING_WORDS = frozenset(
    {"STREAMING", "BROAD", "BROAD SPOTIFY", "TECHNO", "TECHNO SPOTIFY", "HARD TRANCE", "ENGAGEMENT"}
)
_COPY_SUFFIX = re.compile(r"\s*-\s*COPY(?:\s+\d+)?$")
_SEPARATOR = " - "


@dataclass(frozen=True)
class CampaignNameParse:
    artist: Artist | None
    token: CampaignToken | None
    track: Track | None
    targeting: str | None
    parsed_track_text: str
    is_copy: bool
    parse_status: str

    def as_tuple(self) -> tuple:
        """(artist name, token text, targeting, parse status, is_copy): the contract table's columns."""
        return (
            self.artist.name if self.artist else None,
            self.token.token if self.token else None,
            self.targeting,
            self.parse_status,
            self.is_copy,
        )


@dataclass
class _CampaignLexicon:
    """The master data the parser matches against, read once per parse (the tables hold a few dozen rows)."""

    artists: dict[str, Artist]  # normalize_alias key → artist (aliases and canonical names)
    tokens: dict[str, CampaignToken]  # upper-case token text → token

    @classmethod
    def load(cls) -> "_CampaignLexicon":
        artists = artists_by_key()
        tokens = {t.token: t for t in CampaignToken.objects.select_related("artist", "track")}
        return cls(artists=artists, tokens=tokens)

    def classify(self, segment: str) -> str:
        is_artist = normalize_alias(segment) in self.artists
        is_token = segment in self.tokens
        if is_artist and is_token:
            return "ambiguous"
        if is_artist:
            return "artist"
        if is_token:
            return "token"
        if segment in CAMPAIGN_TARGETING_WORDS:
            return "targeting"
        return "unknown"


def _normalize_campaign_name(name: str) -> str:
    return " ".join(name.upper().split())


def _join(segments: list[str]) -> str | None:
    return _SEPARATOR.join(segments) or None


def _queue_campaign_token(*, text: str, lexicon: _CampaignLexicon, queue_unknown: bool) -> CampaignToken | None:
    """An unknown title in the track position becomes a token for staff to map (never an artist, never a track)."""
    if not queue_unknown:
        return None
    token, _ = CampaignToken.objects.get_or_create(token=text, defaults={"needs_review": True})
    lexicon.tokens[text] = token
    return token


def _scan_campaign_words(*, name: str, lexicon: _CampaignLexicon, is_copy: bool) -> CampaignNameParse:
    """Step 6: a name with no separator. Find whole-word artists and tokens; the rest is targeting."""
    # Longest candidates first so `ZONE A0 X SXNCTUARY` wins over `ZONE A0`, `THE SOURCE (SLOWED)` over `THE SOURCE`.
    candidates = sorted(
        {text.upper() for text in lexicon.tokens} | {key.upper() for key in lexicon.artists}, key=len, reverse=True
    )
    remaining = name
    artists: set[int] = set()
    tokens: list[CampaignToken] = []
    found_artist: Artist | None = None
    ambiguous = False
    for candidate in candidates:
        pattern = re.compile(r"(?<![A-Z0-9])" + re.escape(candidate) + r"(?![A-Z0-9])")
        if not pattern.search(remaining):
            continue
        remaining = pattern.sub(" ", remaining)
        kind = lexicon.classify(candidate)
        if kind == "ambiguous":
            ambiguous = True
        elif kind == "artist":
            found_artist = lexicon.artists[normalize_alias(candidate)]
            artists.add(found_artist.pk)
        else:
            tokens.append(lexicon.tokens[candidate])
    targeting = " ".join(remaining.split()) or None
    if ambiguous:
        return CampaignNameParse(None, None, None, targeting, "", is_copy, Campaign.ParseStatus.AMBIGUOUS)
    if (artists or tokens) and len(artists) <= 1 and len(tokens) <= 1:
        token = tokens[0] if tokens else None
        artist = found_artist or (token.artist if token else None)
        return CampaignNameParse(
            artist, token, token.track if token else None, targeting, "", is_copy, Campaign.ParseStatus.NONCONFORMING
        )
    return CampaignNameParse(None, None, None, name, "", is_copy, Campaign.ParseStatus.UNPARSED)


def campaign_name_parse(*, name: str, campaign_id: str | None = None, queue_unknown: bool = True) -> CampaignNameParse:
    """Parse a Meta campaign name `ARTIST - TRACK - TARGETING` against the master data (contract §4.4).

    A campaign with `is_override` keeps what staff set (status `override`). With `queue_unknown`, an unknown
    segment in the track position is queued as CampaignToken(needs_review=True); the loaders' dry runs pass False.
    """
    if campaign_id:
        manual = Campaign.objects.filter(campaign_id=campaign_id, is_override=True).select_related("token").first()
        if manual is not None:
            return CampaignNameParse(
                manual.artist,
                manual.token,
                manual.track,
                manual.targeting,
                manual.parsed_track_text,
                manual.is_copy,
                Campaign.ParseStatus.OVERRIDE,
            )

    text = _normalize_campaign_name(name)
    is_copy = False
    while (stripped := _COPY_SUFFIX.sub("", text)) != text:
        text, is_copy = stripped, True
    if "NEW ENGAGEMENT" in text:
        return CampaignNameParse(None, None, None, "ENGAGEMENT", "", is_copy, Campaign.ParseStatus.ACCOUNT_LEVEL)

    lexicon = _CampaignLexicon.load()
    segments = text.split(_SEPARATOR)
    kinds = [lexicon.classify(segment) for segment in segments]

    if "ambiguous" in kinds:
        position = kinds.index("ambiguous")
        return CampaignNameParse(
            None, None, None, _join(segments[position + 1 :]), "", is_copy, Campaign.ParseStatus.AMBIGUOUS
        )
    if kinds == ["unknown"]:
        return _scan_campaign_words(name=text, lexicon=lexicon, is_copy=is_copy)

    artist_positions = [i for i, kind in enumerate(kinds) if kind == "artist"]
    token_positions = [i for i, kind in enumerate(kinds) if kind == "token"]
    unparsed = CampaignNameParse(None, None, None, text, "", is_copy, Campaign.ParseStatus.UNPARSED)
    if len(artist_positions) > 1 or len(token_positions) > 1:
        return unparsed

    # The track position: the token's segment; otherwise the 2nd of 3 or more, or the 1st of 2 (or of 1) when it
    # is not an artist. A targeting word there is never a track.
    parsed_track_text = ""
    if token_positions:
        position = token_positions[0]
        token = lexicon.tokens[segments[position]]
    else:
        position = 1 if len(segments) >= 3 or kinds[0] == "artist" else 0
        token = None
        if position < len(segments) and kinds[position] == "unknown":
            parsed_track_text = segments[position]
            token = _queue_campaign_token(text=parsed_track_text, lexicon=lexicon, queue_unknown=queue_unknown)
        elif artist_positions:
            position = artist_positions[0]
        else:
            position = -1
    if token is not None and token.needs_review:
        parsed_track_text = token.token  # still waiting for staff: keep the raw text visible on the campaign
    if artist_positions and token_positions and artist_positions[0] > position:
        return unparsed  # an artist after the title fits no known naming scheme

    artist = lexicon.artists[normalize_alias(segments[artist_positions[0]])] if artist_positions else None
    if artist is None and token is not None:
        artist = token.artist
    return CampaignNameParse(
        artist,
        token,
        token.track if token else None,
        _join(segments[position + 1 :]),
        parsed_track_text,
        is_copy,
        Campaign.ParseStatus.PARSED,
    )


# --- Meta campaigns (dimension) -------------------------------------------------------------------------------------

_CAMPAIGN_PARSED_FIELDS = ("artist", "token", "track", "parsed_track_text", "targeting", "is_copy", "parse_status")


def campaign_upsert(
    *,
    campaign_id: str,
    name: str,
    source_file: SourceFile | None = None,
    queue_unknown: bool = True,
    **values,
) -> tuple[Campaign, str]:
    """Insert or update one campaign by its Meta id; returns (campaign, "inserted" | "updated" | "unchanged").

    The name is (re)parsed on every change (contract §4.4) unless staff set an override. `values` are other
    Campaign fields (objective, status, first/last seen, active flag); None means "not in this file". The
    `attributes` value is merged into the stored JSON (v1 ad set / ad attributes accumulate).
    """
    campaign = Campaign.objects.filter(campaign_id=campaign_id).first()
    outcome = "unchanged"
    if campaign is None:
        campaign, outcome = Campaign(campaign_id=campaign_id, name=name), "inserted"
    wanted = {"name": name, **{k: v for k, v in values.items() if v is not None and k != "attributes"}}
    if values.get("attributes"):
        merged = dict(campaign.attributes or {})
        for key, value in values["attributes"].items():
            old = merged.get(key)
            merged[key] = {**old, **value} if isinstance(old, dict) and isinstance(value, dict) else value
        wanted["attributes"] = merged
    if not campaign.is_override:
        parse = campaign_name_parse(name=name, queue_unknown=queue_unknown)
        wanted.update({field: getattr(parse, field) for field in _CAMPAIGN_PARSED_FIELDS})
    changed = [field for field, value in wanted.items() if getattr(campaign, field) != value]
    if outcome == "inserted" or changed:
        for field, value in wanted.items():
            setattr(campaign, field, value)
        campaign.source_file = source_file
        campaign.save()
        outcome = "inserted" if outcome == "inserted" else "updated"
    return campaign, outcome


def campaign_reparse(*, campaigns=None) -> int:
    """Re-parse stored campaign names against the current master data (after staff map a queued token or alias,
    or clear an override: unchanged files are skipped by the loader, so nothing else would re-parse them).
    Campaigns with an override are left alone. Returns how many campaigns changed."""
    queryset = Campaign.objects.all() if campaigns is None else campaigns
    changed = 0
    for campaign in queryset.filter(is_override=False):
        parse = campaign_name_parse(name=campaign.name)
        updates = {field: getattr(parse, field) for field in _CAMPAIGN_PARSED_FIELDS}
        if any(getattr(campaign, field) != value for field, value in updates.items()):
            for field, value in updates.items():
                setattr(campaign, field, value)
            campaign.save(update_fields=list(_CAMPAIGN_PARSED_FIELDS))
            changed += 1
    return changed


def campaign_by_unique_name(*, names: list[str]) -> dict[str, int]:
    """Exact campaign names that belong to exactly one campaign → its pk (an empty campaign_id's only rescue)."""
    found: dict[str, list[int]] = {}
    for name, pk in Campaign.objects.filter(name__in=set(names)).values_list("name", "pk"):
        found.setdefault(name, []).append(pk)
    return {name: pks[0] for name, pks in found.items() if len(pks) == 1}
