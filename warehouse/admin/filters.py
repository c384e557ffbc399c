"""List filters of the admin's change lists: matched / unmatched, source kind, source file and load run."""

from django.contrib import admin

from warehouse import models as m


class MatchedFilter(admin.SimpleListFilter):
    """Matched / unmatched (the review queue) on a nullable mapping column."""

    title = "mapping"
    parameter_name = "matched"
    target = ""

    def lookups(self, request, model_admin):
        return [("no", "Unmatched"), ("yes", "Matched")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(**{f"{self.target}__isnull": self.value() == "no"})
        return queryset


class ArtistMatchedFilter(MatchedFilter):
    target = "artist"


class PlatformMatchedFilter(MatchedFilter):
    target = "platform"


class SourceKindFilter(admin.SimpleListFilter):
    """The curated source kind, listed from source_file (small) instead of a DISTINCT over the fact table."""

    title = "source kind"
    parameter_name = "kind"
    lookup = "source_file__kind"

    def lookups(self, request, model_admin):
        kinds = m.SourceFile.objects.exclude(kind="").values_list("kind", flat=True).distinct().order_by("kind")
        return [(kind, kind) for kind in kinds]

    def queryset(self, request, queryset):
        return queryset.filter(**{self.lookup: self.value()}) if self.value() else queryset


class SourceFileFilter(admin.SimpleListFilter):
    """One source file (the most recent ones of `kinds` listed). An equality on the source_file index keeps id
    order, so the page needs no sort; a kind filter (a join to several files) sorts a million royalty lines."""

    title = "source file"
    parameter_name = "source_file"
    kinds: tuple[str, ...] = ()
    recent = 25

    def lookups(self, request, model_admin):
        files = m.SourceFile.objects.filter(kind__in=self.kinds).order_by("-id")[: self.recent]
        return [(str(f.pk), f"#{f.pk} {f.path} (run {f.load_run_id})") for f in files]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        return queryset.filter(source_file_id=int(value)) if value.isdigit() else queryset.none()


class RoyaltySourceFileFilter(SourceFileFilter):
    kinds = ("dk_bank_details",)


class LoadRunFilter(admin.SimpleListFilter):
    """The most recent load runs (any run id works through `?load_run=<id>`)."""

    title = "load run"
    parameter_name = "load_run"
    lookup = "load_run_id"
    recent = 25

    def lookups(self, request, model_admin):
        runs = m.LoadRun.objects.order_by("-id")[: self.recent]
        return [
            (str(run.pk), f"#{run.pk} {run.status} {run.started_at or run.created_at:%Y-%m-%d %H:%M}") for run in runs
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(**{self.lookup: int(value)})


class FileKindFilter(SourceKindFilter):
    lookup = "kind"


class FileLoadRunFilter(LoadRunFilter):
    lookup = "source_file__load_run_id"


class QuarantineSourceFileFilter(SourceFileFilter):
    """The recent files that quarantined rows (any file works through `?source_file=<id>`, the files' links)."""

    def lookups(self, request, model_admin):
        files = m.SourceFile.objects.filter(rows_quarantined__gt=0).order_by("-id")[: self.recent]
        return [(str(f.pk), f"#{f.pk} {f.path}") for f in files]
