"""The DK snapshot's raw-fingerprint shortcut: a record byte-identical to an active row keeps it unparsed, anything
else is parsed and diffed by identity, and the outcome (rows, counts, aggregates) is the same as a full diff."""

import dataclasses
from decimal import Decimal

import pytest
from django.db.models import Count, Q, Sum

from etl import sources
from tests.db_locks import file_transaction_open
from tests.etl.helpers import by_path, curated, fingerprint, read_rows, run_loader, write_csv
from warehouse import services
from warehouse.models import (
    Artist,
    ArtistAlias,
    RoyaltyIsrcAggregate,
    RoyaltyLine,
    RoyaltyMonthlyAggregate,
    SourceFile,
    StoreAlias,
)

pytestmark = pytest.mark.django_db

DK = "dk_bank_details.csv"


def load(lake, *extra) -> dict:
    code, payload, err = run_loader("--lake", str(lake), "--source", "dk_bank_details", *extra)
    assert code == 0, err
    entry = by_path(payload)[DK]
    file = SourceFile.objects.filter(path=DK).latest("id")
    return {
        k: entry[k]
        for k in ("status", "rows_read", "rows_inserted", "rows_updated", "rows_unchanged", "rows_quarantined")
    } | {"rows_retracted": file.rows_retracted}


def active():
    return RoyaltyLine.objects.filter(retracted_by_file__isnull=True)


def ids_by_line() -> dict[int, int]:
    return dict(active().values_list("source_line", "id"))


def aggregates_fresh() -> bool:
    fresh = {
        (r["sale_month"], r["store"], r["platform_id"], r["artist_id"], r["net"], r["n"])
        for r in active()
        .values("sale_month", "store", "platform_id", "artist_id")
        .annotate(net=Sum("earnings_usd"), n=Count("id"))
    }
    stored = set(
        RoyaltyMonthlyAggregate.objects.values_list(
            "sale_month", "store", "platform_id", "artist_id", "earnings_usd", "line_count"
        )
    )
    per_isrc = {
        (r["isrc"], r["streams"] or 0, r["revenue"], r["n"])
        for r in active()
        .exclude(isrc="")
        .values("isrc")
        .annotate(streams=Sum("quantity", filter=Q(earnings_usd__gte=0)), revenue=Sum("earnings_usd"), n=Count("id"))
    }
    stored_isrc = set(RoyaltyIsrcAggregate.objects.values_list("isrc", "streams", "revenue_usd", "line_count"))
    return stored == fresh and stored_isrc == per_isrc and len(per_isrc) > 10


def counts(*, read, inserted=0, updated=0, unchanged=0, quarantined=0, retracted=0) -> dict:
    return {
        "status": "loaded",
        "rows_read": read,
        "rows_inserted": inserted,
        "rows_updated": updated,
        "rows_unchanged": unchanged,
        "rows_quarantined": quarantined,
        "rows_retracted": retracted,
    }


def test_a_reformatted_record_keeps_its_row_and_is_recognised_by_its_new_text_next_time(lake_copy):
    header, rows = read_rows(curated(lake_copy, DK))
    assert load(lake_copy) == counts(read=8635, inserted=8635)
    before = ids_by_line()
    target = rows[0]  # 2024-10-05,…,0.01931943: the same values written another way
    rewritten = [*target[:5], target[5].lower(), *target[6:12], f"{Decimal(target[12]):.6e}"]
    assert rewritten[12] != target[12] and Decimal(rewritten[12]) == Decimal(target[12])
    newer = [rewritten, *rows[1:], ["2025-05-30", *rows[1][1:]]]
    write_csv(curated(lake_copy, DK), header, newer)
    assert load(lake_copy) == counts(read=8636, inserted=1, unchanged=8635)
    assert ids_by_line()[2] == before[2]  # same identity: the stored row stays, no retraction
    assert active().count() == 8636 and aggregates_fresh()

    # the stored row now carries the new text's fingerprint: a byte-identical newer snapshot parses nothing
    write_csv(curated(lake_copy, DK), header, [*newer, ["2025-05-31", *rows[2][1:]]])
    assert load(lake_copy) == counts(read=8637, inserted=1, unchanged=8636)
    file = SourceFile.objects.filter(path=DK).latest("id")
    assert "isrc_normalized" not in file.counters  # the lower-case ISRC was not parsed again
    assert active().exclude(last_seen_file=file).count() == 0


def test_identical_records_are_kept_in_turn_and_the_extra_copies_retracted(lake_copy):
    header, rows = read_rows(curated(lake_copy, DK))
    copies = [rows[5]] * 3
    write_csv(curated(lake_copy, DK), header, rows + copies)
    assert load(lake_copy) == counts(read=8638, inserted=8638)
    assert sorted(
        active()
        .filter(row_hash=active().get(source_line=7, occurrence=1).row_hash)
        .values_list("occurrence", flat=True)
    ) == [1, 2, 3, 4]

    newer = rows + copies[:1] + [["2025-05-30", *rows[1][1:]]]
    write_csv(curated(lake_copy, DK), header, newer)
    assert load(lake_copy) == counts(read=8637, inserted=1, unchanged=8636, retracted=2)
    same = RoyaltyLine.objects.filter(row_hash=active().get(source_line=7).row_hash)
    assert sorted(same.filter(retracted_by_file__isnull=True).values_list("occurrence", flat=True)) == [1, 2]
    assert sorted(same.filter(retracted_by_file__isnull=False).values_list("occurrence", flat=True)) == [3, 4]

    # the copies come back: reinstated, not inserted again
    write_csv(curated(lake_copy, DK), header, newer + copies[:2])
    assert load(lake_copy) == counts(read=8639, updated=2, unchanged=8637)
    assert same.count() == 4 and same.filter(retracted_by_file__isnull=True).count() == 4
    assert aggregates_fresh()


def test_a_mapping_saved_behind_the_services_back_reaches_kept_lines_at_the_next_snapshot(lake_copy):
    header, rows = read_rows(curated(lake_copy, DK))
    rows[0][2], rows[1][3] = "Tencent", "ZONE  A-ZERO"
    write_csv(curated(lake_copy, DK), header, rows)
    assert load(lake_copy) == counts(read=8635, inserted=8635)
    assert (active().get(source_line=2).platform_id, active().get(source_line=3).artist_id) == (None, None)
    zone = RoyaltyLine.objects.filter(artist_raw="ZONE A0").values_list("artist_id", flat=True).first()
    spotify = RoyaltyLine.objects.filter(store="Spotify").values_list("platform_id", flat=True).first()
    # a bulk edit (like an import) that does not go through artist_alias_map / store_alias_map
    ArtistAlias.objects.filter(alias="ZONE  A-ZERO").update(artist_id=zone)
    StoreAlias.objects.filter(store="Tencent").update(platform_id=spotify)

    write_csv(curated(lake_copy, DK), header, [*rows, ["2025-05-30", *rows[2][1:]]])
    assert load(lake_copy) == counts(read=8636, inserted=1, updated=2, unchanged=8633)
    assert (active().get(source_line=2).platform_id, active().get(source_line=3).artist_id) == (spotify, zone)
    assert aggregates_fresh()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_snapshot_stages_without_the_write_lock_and_a_mapping_saved_meanwhile_is_in_its_result(
    lake_copy, monkeypatch
):
    """Issue 16: the stream hook runs before the file's transaction; staff may map a spelling while it stages, and
    the merge then decides against the live rows and the settled mapping, as if it had run entirely inside."""
    header, rows = read_rows(curated(lake_copy, DK))
    for row in rows[:10]:
        row[3] = "Zone Meanwhile"
    write_csv(curated(lake_copy, DK), header, rows)
    assert load(lake_copy) == counts(read=8635, inserted=8635)
    assert set(active().filter(artist_raw="Zone Meanwhile").values_list("artist_id", flat=True)) == {None}
    zone = Artist.objects.get(name="ZONE A0")
    # the ten records written another way (parsed, staged with artist NULL) and one new line of the spelling
    reformatted = [[*row[:12], row[12] + "0" if "e" not in row[12] else row[12]] for row in rows[:10]]
    assert all(new != old for new, old in zip(reformatted, rows[:10], strict=True))
    write_csv(curated(lake_copy, DK), header, [*reformatted, *rows[10:], ["2025-05-30", *rows[0][1:]]])
    spec = sources.registry()["dk_bank_details"]
    staged = []

    def stage_then_map(ctx, *args):
        batch = spec.stream(ctx, *args)
        staged.append(file_transaction_open())  # nothing holds the write lock while the file stages
        services.artist_alias_map(alias=ArtistAlias.objects.get(alias="Zone Meanwhile"), artist=zone)
        return batch

    monkeypatch.setitem(sources._REGISTRY, "dk_bank_details", dataclasses.replace(spec, stream=stage_then_map))
    assert load(lake_copy) == counts(read=8636, inserted=1, unchanged=8635)
    assert staged == [False]
    assert set(active().filter(artist_raw="Zone Meanwhile").values_list("artist_id", flat=True)) == {zone.pk}
    assert active().filter(artist_raw="Zone Meanwhile").count() == 11
    assert "unknown_artist_loaded_null" not in SourceFile.objects.filter(path=DK).latest("id").counters
    assert aggregates_fresh()


def test_reordered_columns_parse_every_record_and_change_nothing(lake_copy):
    header, rows = read_rows(curated(lake_copy, DK))
    assert load(lake_copy) == counts(read=8635, inserted=8635)
    facts = fingerprint()
    order = list(reversed(range(len(header))))
    write_csv(curated(lake_copy, DK), [header[i] for i in order], [[row[i] for i in order] for row in rows])
    assert load(lake_copy, "--force") == counts(read=8635, unchanged=8635)
    assert fingerprint() == facts
    assert active().aggregate(total=Sum("earnings_usd"), n=Count("id", filter=Q(is_adjustment=True))) == {
        "total": Decimal("1587.06001527"),
        "n": active().filter(earnings_usd__lt=0).count(),
    }
    assert aggregates_fresh()
