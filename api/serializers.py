"""Serializers of the read-only resources and the refresh request. The dashboard bodies are described in
api/bodies.py."""

from django.db.models import Count
from rest_framework import serializers

from etl.kinds import KIND_ORDER  # pandas-free: the web process never imports the loader
from warehouse.models import Artist, LoadRun, Platform, SourceFile, Track

# --- Resources ----------------------------------------------------------------------------------------------------


class ArtistSerializer(serializers.ModelSerializer):
    aliases = serializers.SerializerMethodField()

    class Meta:
        model = Artist
        fields = ["id", "name", "spotify_artist_id", "status", "aliases"]

    def get_aliases(self, obj) -> list[str]:
        return sorted(alias.alias for alias in obj.aliases.all() if alias.alias != obj.name)


class TrackArtistSerializer(serializers.Serializer):
    name = serializers.CharField(source="artist.name")
    role = serializers.CharField()
    label_share_pct = serializers.FloatField()
    share_confirmed = serializers.BooleanField()


class TrackSerializer(serializers.ModelSerializer):
    artists = TrackArtistSerializer(source="track_artists", many=True)

    class Meta:
        model = Track
        fields = ["id", "isrc", "title", "upc", "release_date", "release_type", "needs_review", "artists"]


class PlatformSerializer(serializers.ModelSerializer):
    class Meta:
        model = Platform
        fields = ["id", "slug", "name", "type", "rate_key"]


class SourceFileSerializer(serializers.ModelSerializer):
    quarantine_reasons = serializers.SerializerMethodField()

    class Meta:
        model = SourceFile
        fields = [
            "id",
            "kind",
            "path",
            "sha256",
            "size_bytes",
            "schema_variant",
            "status",
            "reason",
            "message",
            "rows_read",
            "rows_inserted",
            "rows_updated",
            "rows_unchanged",
            "rows_quarantined",
            "rows_retracted",
            "rows_ignored",
            "quarantine_reasons",
            "loaded_at",
        ]

    def get_quarantine_reasons(self, obj) -> dict[str, int]:
        rows = obj.quarantined_rows.values("reason").annotate(n=Count("id")).order_by("reason")
        return {row["reason"]: row["n"] for row in rows}


class LoadRunSerializer(serializers.ModelSerializer):
    options = serializers.SerializerMethodField()
    files = SourceFileSerializer(many=True, read_only=True)

    class Meta:
        model = LoadRun
        fields = [
            "id",
            "status",
            "trigger",
            "created_at",
            "started_at",
            "finished_at",
            "options",
            "progress",
            "files_loaded",
            "files_skipped",
            "files_rejected",
            "files_ignored",
            "rows_changed",
            "rows_quarantined",
            "error",
            "warnings",
            "files",
        ]

    def get_options(self, obj) -> dict:
        # Only what was asked for; the pid/host/log bookkeeping stays internal.
        return {key: obj.options.get(key) for key in ("kinds", "force", "dry_run") if key in obj.options}


class LoadRunSummarySerializer(LoadRunSerializer):
    """List view: the runs without their file list (GET /api/loads/{id} has the files)."""

    class Meta(LoadRunSerializer.Meta):
        fields = [f for f in LoadRunSerializer.Meta.fields if f != "files"]


class RefreshRequestSerializer(serializers.Serializer):
    kinds = serializers.ListField(child=serializers.CharField(), required=False, allow_empty=False)
    force = serializers.BooleanField(required=False, default=False)
    dry_run = serializers.BooleanField(required=False, default=False)

    def validate_kinds(self, kinds: list[str]) -> list[str]:
        unknown = [kind for kind in kinds if kind not in KIND_ORDER]
        if unknown:
            raise serializers.ValidationError(f'unknown kind "{unknown[0]}" (allowed: {", ".join(KIND_ORDER)})')
        return kinds
