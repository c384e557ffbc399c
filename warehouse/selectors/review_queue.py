"""The unmatched-names review queue of the admin (warehouse/admin/mapping.py)."""

from __future__ import annotations

from django.db.models import QuerySet

from warehouse.models import ArtistAlias, Campaign, CampaignToken, StoreAlias

CAMPAIGN_REVIEW_STATUSES = (
    Campaign.ParseStatus.AMBIGUOUS,
    Campaign.ParseStatus.UNPARSED,
    Campaign.ParseStatus.NONCONFORMING,
)


def unmatched_name_list() -> dict[str, QuerySet]:
    """Names a load met but could not map, by kind: staff map each one in the admin."""
    return {
        "artist_aliases": ArtistAlias.objects.filter(artist__isnull=True).select_related("first_seen_file"),
        "store_aliases": StoreAlias.objects.filter(platform__isnull=True).select_related("first_seen_file"),
        "campaign_tokens": CampaignToken.objects.filter(needs_review=True).select_related("artist", "track"),
        "campaigns": Campaign.objects.filter(parse_status__in=CAMPAIGN_REVIEW_STATUSES, is_override=False)
        .select_related("artist", "track")
        .order_by("name"),
    }
