"""Staff changes to master data: one path from every admin surface to every figure, cache and live client.

Every admin path (changelist `list_editable`, change form, bulk action, import, the unmatched-names page) saves
master data through the functions here. A change that touches loaded facts backfills them and updates the royalty
aggregates in the same transaction. Each transaction that changed master data also records one finished
`load_run` (trigger `admin`): that is what loads already do to reach readers, so the same two mechanisms follow —
the API cache key holds the latest finished run (`lineage.load_run_cache_token_get`), and on commit
`load_run_announce` sends one `/ws` update (or daphne's load_run watcher notices the run).
"""

from contextlib import contextmanager
from functools import partial

from django.db import connection, transaction
from django.db.models import F, Model
from django.utils import timezone

from warehouse.artist_lookup import artist_ids_by_name
from warehouse.models import (
    Artist,
    ArtistAlias,
    Campaign,
    CampaignToken,
    LoadRun,
    Platform,
    RoyaltyLine,
    StoreAlias,
    Track,
    TrackArtist,
    normalize_alias,
)
from warehouse.services.aggregates import royalty_aggregates_delta, royalty_aggregates_refresh
from warehouse.services.campaigns import campaign_reparse
from warehouse.services.lineage import load_run_announce, load_run_create

_STATE_ATTRIBUTE = "_bedrot_curation"
_BATCH_ATTRIBUTE = "_bedrot_curation_batch"
_NOTES_KEPT = 20
_MOVED = "curation_moved_lines"


def _state() -> dict:
    """The curation run of the outermost transaction (None until its first change)."""
    outermost = connection.atomic_blocks[0]
    state = getattr(connection, _STATE_ATTRIBUTE, None)
    if state is None or state["block"] is not outermost:
        state = {"block": outermost, "run": None}
        setattr(connection, _STATE_ATTRIBUTE, state)
    return state


@contextmanager
def curation_batch():
    """Many changes in one transaction (an import): loaded raw artist names are read once, not once per row."""
    with transaction.atomic():
        setattr(connection, _BATCH_ATTRIBUTE, {})
        try:
            yield
        finally:
            delattr(connection, _BATCH_ATTRIBUTE)


def curation_recorded(*, what: str, rows: int = 0, user=None) -> LoadRun:
    """Record a master-data change in the current transaction's curation run (created on the first change).

    One run per outermost transaction: an import of 500 rows is one run and one `/ws` update, not 500.
    """
    with transaction.atomic():
        state = _state()
        if state["run"] is not None:
            run = state["run"]
            notes = [*run.options.get("changes", []), what][-_NOTES_KEPT:]
            run.options = {**run.options, "changes": notes}
            run.finished_at = timezone.now()  # the API cache key holds it: a later change in the block is news too
            updated = LoadRun.objects.filter(pk=run.pk).update(
                rows_changed=F("rows_changed") + rows, options=run.options, finished_at=run.finished_at
            )
            if updated:  # 0: the run was created in a savepoint that rolled back (a preview); start a new one
                return run
        now = timezone.now()
        run = load_run_create(
            trigger=LoadRun.Trigger.ADMIN,
            status=LoadRun.Status.SUCCEEDED,
            started_at=now,
            finished_at=now,
            requested_by=user if user is not None and user.is_authenticated else None,
            # > 0 even for a rename (no fact row changed): the watcher announces runs that changed something.
            rows_changed=max(rows, 1),
            options={"changes": [what]},
        )
        state["run"] = run
        transaction.on_commit(partial(load_run_announce, load_run_id=run.pk))
        return run


def master_data_save(*, instance: Model, user=None, what: str | None = None) -> Model:
    """Save a master-data row that no loaded fact copies (artist, track, platform, share...): figures that read it
    change through the cache invalidation and the `/ws` update of the curation run."""
    with transaction.atomic():
        instance.save()
        curation_recorded(what=what or f"{instance._meta.model_name} {instance.pk} saved", user=user)
    return instance


def master_data_delete(*, instance: Model, user=None) -> None:
    with transaction.atomic():
        label = f"{instance._meta.model_name} {instance.pk} deleted"
        instance.delete()
        curation_recorded(what=label, user=user)


def _royalty_lines_relinked(*, column: str, where: str, params: list, value: int | None) -> int:
    """Set `column` on the lines matched by `where`, keeping the aggregates in step: the lines' contribution is
    subtracted before and added after (the loader's delta path), so the cost follows the lines that moved, not
    the table. The ids are kept in a temp table: after the update the lines no longer match `where`."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE {_MOVED} AS SELECT id FROM royalty_line WHERE {where}", params)
        cursor.execute(f"SELECT count(*) FROM {_MOVED}")
        (changed,) = cursor.fetchone()
        if changed:
            ids = f"SELECT id FROM {_MOVED}"
            royalty_aggregates_delta(sign=-1, line_ids=ids)
            cursor.execute(f"UPDATE royalty_line SET {column} = %s WHERE id IN ({ids})", [value])
            royalty_aggregates_delta(sign=1, line_ids=ids)
            royalty_aggregates_refresh()
        cursor.execute(f"DROP TABLE {_MOVED}")
    return changed


def _spellings_by_key() -> dict[str, set[str]]:
    """Loaded raw artist names by matching key: one DISTINCT scan of royalty_line (once per `curation_batch`)."""
    batch = getattr(connection, _BATCH_ATTRIBUTE, None)
    if batch is not None and "spellings" in batch:
        return batch["spellings"]
    spellings: dict[str, set[str]] = {}
    for raw in RoyaltyLine.objects.values_list("artist_raw", flat=True).distinct().order_by():
        spellings.setdefault(normalize_alias(raw), set()).add(raw)
    if batch is not None:
        batch["spellings"] = spellings
    return spellings


def artist_alias_save(*, alias: ArtistAlias, user=None) -> int:
    """Save an alias (mapped, remapped or unmapped) and re-attribute the royalty lines loaded under its spelling.
    Returns how many lines changed artist."""
    with transaction.atomic():
        alias.alias_key = normalize_alias(alias.alias)
        alias.save()
        target = artist_ids_by_name(names=[alias.alias])[alias.alias]  # what the loader resolves the spelling to
        spellings = sorted(_spellings_by_key().get(alias.alias_key, ()))
        changed = 0
        if spellings:
            where = f"artist_raw IN ({', '.join(['%s'] * len(spellings))}) AND artist_id IS DISTINCT FROM %s"
            changed = _royalty_lines_relinked(
                column="artist_id", where=where, params=[*spellings, target], value=target
            )
        campaign_reparse()  # a campaign name may carry this spelling as its artist segment
        curation_recorded(
            what=f"artist alias {alias.alias!r} → {alias.artist or '(unmatched)'}", rows=changed, user=user
        )
    return changed


def store_alias_save(*, store_alias: StoreAlias, user=None) -> int:
    """Save a store name's platform and re-attribute the royalty lines loaded under that store."""
    with transaction.atomic():
        store_alias.save()
        target = store_alias.platform_id
        changed = _royalty_lines_relinked(
            column="platform_id",
            where="store = %s AND platform_id IS DISTINCT FROM %s",
            params=[store_alias.store, target],
            value=target,
        )
        curation_recorded(
            what=f"store {store_alias.store!r} → {store_alias.platform or '(unmatched)'}", rows=changed, user=user
        )
    return changed


def campaign_token_save(*, token, user=None) -> int:
    """Save a campaign title's mapping and re-parse the stored campaign names (loads skip unchanged files)."""
    with transaction.atomic():
        token.save()
        changed = campaign_reparse()
        curation_recorded(what=f"campaign title {token.token!r} saved", rows=changed, user=user)
    return changed


def instance_save(*, instance: Model, user=None) -> None:
    """Save any master-data row through its service (inline rows, imported rows)."""
    if isinstance(instance, ArtistAlias):
        artist_alias_save(alias=instance, user=user)
    elif isinstance(instance, StoreAlias):
        store_alias_save(store_alias=instance, user=user)
    elif isinstance(instance, CampaignToken):
        campaign_token_save(token=instance, user=user)
    else:
        master_data_save(instance=instance, user=user)


# --- Admin curation: unmatched names and campaign overrides ------------------------------------------------------
# Loads resolve names through these tables, so the next load uses the mapping.
# Stored campaign names are re-parsed at once (`campaign_reparse`): loads skip unchanged files, so they would not.


def artist_alias_map(*, alias: ArtistAlias, artist: Artist | None, user=None) -> ArtistAlias:
    """Map a spelling seen in data to an artist (None: back to the review queue); loaded lines follow at once."""
    alias.artist = artist
    artist_alias_save(alias=alias, user=user)
    return alias


def store_alias_map(*, store_alias: StoreAlias, platform: Platform | None, user=None) -> StoreAlias:
    """Map a distributor's store name to a platform; loaded lines follow at once."""
    store_alias.platform = platform
    store_alias_save(store_alias=store_alias, user=user)
    return store_alias


def campaign_token_map(*, token: CampaignToken, artist: Artist | None, track: Track | None, user=None) -> CampaignToken:
    """Map a campaign title to an artist and/or track; the artist defaults to the track's primary artist."""
    if artist is None and track is not None:
        link = TrackArtist.objects.filter(track=track, role=TrackArtist.Role.PRIMARY).select_related("artist").first()
        artist = link.artist if link else None
    if artist is None and track is None:
        raise ValueError("Choose an artist or a track.")
    token.artist, token.track, token.needs_review = artist, track, False
    campaign_token_save(token=token, user=user)
    return token


def campaign_override_set(
    *, campaign: Campaign, artist: Artist | None, track: Track | None, targeting: str | None, user=None
) -> Campaign:
    """Staff set the campaign's artist/track/targeting by hand: loads keep it (status `override`, contract §4.4.7)."""
    with transaction.atomic():
        campaign.artist, campaign.track, campaign.targeting = artist, track, targeting
        campaign.is_override = True
        campaign.parse_status = Campaign.ParseStatus.OVERRIDE
        campaign.save()
        curation_recorded(what=f"campaign {campaign.campaign_id} override", rows=1, user=user)
    return campaign


def campaign_override_clear(*, campaign: Campaign, user=None) -> Campaign:
    """Hand the campaign back to the parser, which re-parses its name now."""
    with transaction.atomic():
        campaign.is_override = False
        campaign.parse_status = Campaign.ParseStatus.UNPARSED
        campaign.save(update_fields=["is_override", "parse_status"])
        campaign_reparse(campaigns=Campaign.objects.filter(pk=campaign.pk))
        curation_recorded(what=f"campaign {campaign.campaign_id} override cleared", rows=1, user=user)
    campaign.refresh_from_db()
    return campaign
