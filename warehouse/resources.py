"""django-import-export resources for the master data staff curate in the admin.

Imports validate with the same rules as the loader (`normalize_isrc`, the model validators and check
constraints through `clean_model_instances`); an unknown artist or platform is a row error, never a new row.
Every export goes through `FormulaSafeResource.export_field`, which quotes spreadsheet formulas.
"""

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets

from warehouse import services
from warehouse.artist_lookup import artist_by_name
from warehouse.models import (
    Artist,
    ArtistAlias,
    Platform,
    StoreAlias,
    Track,
    TrackArtist,
    normalize_alias,
    normalize_isrc,
)
from warehouse.spreadsheet import escape_formula, unescape_formula


def artist_name_key(value: str) -> str:
    """Canonical artist names are upper case with single spaces (check constraint `artist_name_upper_case`)."""
    return " ".join(value.split()).upper()


def artist_resolve(name: str) -> Artist:
    """An artist by canonical name or mapped alias; ValueError (a row validation error) when unknown."""
    artist = artist_by_name(name=name)
    if artist is None:
        raise ValueError(f"Unknown artist {name!r}: create the artist (or map the alias) first.")
    return artist


class FormulaSafeResource(resources.ModelResource):
    """Base of every resource: text cells are formula-escaped on export (CSV and XLSX) and unescaped on import;
    rows are saved through `warehouse/services/curation.py`, one curation run (one `/ws` update) per imported file."""

    def import_data_inner(self, *args, **kwargs):
        with services.curation_batch():
            return super().import_data_inner(*args, **kwargs)

    def import_row(self, row, instance_loader, **kwargs):
        for key, value in list(row.items()):
            if isinstance(value, str):
                row[key] = unescape_formula(value)
        return super().import_row(row, instance_loader, **kwargs)

    def do_instance_save(self, instance, is_create):
        services.instance_save(instance=instance)

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        # Numbers (a negative amount) stay numbers; only text a spreadsheet could evaluate is quoted.
        if isinstance(value, str) and not isinstance(field.widget, widgets.NumberWidget):
            return escape_formula(value)
        return value


class ArtistWidget(widgets.ForeignKeyWidget):
    """An artist column by name (or alias). Unknown names are validation errors, not tracebacks."""

    def __init__(self, **kwargs):
        super().__init__(Artist, field="name", **kwargs)

    def clean(self, value, row=None, **kwargs):
        if value is None or not str(value).strip():
            return None
        return artist_resolve(str(value))


class PlatformWidget(widgets.ForeignKeyWidget):
    """A platform column by name or slug, case-insensitive."""

    def __init__(self, **kwargs):
        super().__init__(Platform, field="name", **kwargs)

    def clean(self, value, row=None, **kwargs):
        if value is None or not str(value).strip():
            return None
        text = str(value).strip()
        platform = (
            Platform.objects.filter(name__iexact=text).first() or Platform.objects.filter(slug__iexact=text).first()
        )
        if platform is None:
            raise ValueError(f"Unknown platform {text!r}.")
        return platform


class ArtistResource(FormulaSafeResource):
    # Unique and nullable: a blank cell is "no id" (NULL), never "" (which would collide between artists).
    spotify_artist_id = fields.Field(
        attribute="spotify_artist_id", column_name="spotify_artist_id", widget=widgets.CharWidget(allow_blank=False)
    )

    class Meta:
        model = Artist
        fields = ("name", "spotify_artist_id", "status")
        import_id_fields = ("name",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def before_import_row(self, row, **kwargs):
        if row.get("name"):
            row["name"] = artist_name_key(str(row["name"]))
        if not str(row.get("spotify_artist_id") or "").strip():
            row["spotify_artist_id"] = None


class TrackResource(FormulaSafeResource):
    """Tracks keyed by ISRC. `primary_artist` is one name, `featured_artists` a `;`-separated list."""

    primary_artist = fields.Field(column_name="primary_artist")
    featured_artists = fields.Field(column_name="featured_artists")

    class Meta:
        model = Track
        fields = (
            "isrc",
            "title",
            "primary_artist",
            "featured_artists",
            "upc",
            "release_date",
            "release_type",
            "needs_review",
        )
        import_id_fields = ("isrc",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def get_queryset(self):
        return Track.objects.prefetch_related("track_artists__artist")

    def skip_row(self, instance, original, row, import_validation_errors=None):
        # The artist columns have no model attribute, so import-export's comparison ignores them: compare the links.
        if not super().skip_row(instance, original, row, import_validation_errors):
            return False
        current = dict(TrackArtist.objects.filter(track_id=original.pk).values_list("artist_id", "role"))
        return getattr(instance, "_artist_links", current) == current

    def before_import_row(self, row, **kwargs):
        if row.get("isrc"):
            row["isrc"] = normalize_isrc(str(row["isrc"]))

    def import_instance(self, instance, row, **kwargs):
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        # Resolved now so an unknown artist invalidates the row before anything is saved.
        instance._artist_links = {}
        if "primary_artist" in row:
            names = [(row.get("primary_artist") or "", TrackArtist.Role.PRIMARY)]
            names += [(n, TrackArtist.Role.FEATURED) for n in str(row.get("featured_artists") or "").split(";")]
            for name, role in names:
                if not str(name).strip():
                    if role == TrackArtist.Role.PRIMARY:
                        errors.setdefault("primary_artist", []).append("A track needs a primary artist.")
                    continue
                try:
                    artist = artist_resolve(str(name))
                except ValueError as exc:
                    errors.setdefault("primary_artist" if role == "primary" else "featured_artists", []).append(
                        str(exc)
                    )
                    continue
                instance._artist_links.setdefault(artist.pk, role)
        if errors:
            raise ValidationError(errors)

    def after_save_instance(self, instance, row, **kwargs):
        links = getattr(instance, "_artist_links", None)
        if not links:
            return
        # The row lists the track's artists: drop the others, keep confirmed shares on the ones that stay.
        TrackArtist.objects.filter(track=instance).exclude(artist_id__in=links).delete()
        for artist_id, role in links.items():
            TrackArtist.objects.update_or_create(track=instance, artist_id=artist_id, defaults={"role": role})

    def _links(self, track, role):
        return [ta.artist.name for ta in track.track_artists.all() if ta.role == role]

    def dehydrate_primary_artist(self, track):
        return "; ".join(self._links(track, TrackArtist.Role.PRIMARY))

    def dehydrate_featured_artists(self, track):
        return "; ".join(self._links(track, TrackArtist.Role.FEATURED))


class ArtistAliasResource(FormulaSafeResource):
    """Artist aliases, matched case-insensitively (`alias_key`). A blank artist leaves the alias unmatched."""

    artist = fields.Field(attribute="artist", column_name="artist", widget=ArtistWidget())

    class Meta:
        model = ArtistAlias
        fields = ("alias", "artist")
        import_id_fields = ("alias",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def get_queryset(self):
        return ArtistAlias.objects.select_related("artist")

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute == "alias" and instance.pk:
            return  # an existing alias keeps the spelling first seen in data; the import only maps it
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def get_instance(self, instance_loader, row):
        # `Zone.A0` updates the existing `zone.a0` instead of colliding with it on the unique key.
        return ArtistAlias.objects.filter(alias_key=normalize_alias(str(row.get("alias") or ""))).first()


class StoreAliasResource(FormulaSafeResource):
    """A distributor's store name → platform. A blank platform leaves the store unmatched."""

    platform = fields.Field(attribute="platform", column_name="platform", widget=PlatformWidget())

    class Meta:
        model = StoreAlias
        fields = ("store", "platform")
        import_id_fields = ("store",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def get_queryset(self):
        return StoreAlias.objects.select_related("platform")

    def before_import_row(self, row, **kwargs):
        if row.get("store"):
            row["store"] = str(row["store"]).strip()
