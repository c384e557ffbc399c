"""Query-parameter validation with django-filter: a bad value is a 400 that names the parameter.

The dashboard endpoints compute series in selectors, so their FilterSets are used as validated forms
(`cleaned_data` feeds the selector); the list resources filter real querysets.
"""

import datetime as dt

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from warehouse import selectors
from warehouse.models import ISRC_PATTERN, Artist, LoadRun, Platform, Track, normalize_isrc

# Messages that quote the client's value pass it as a param: django-filter formats `message % params`, so a "%"
# in a value interpolated into the message itself raised TypeError (a 500).


class ArtistField(forms.CharField):
    """A canonical name or any alias → Artist; unknown → invalid."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        artist = selectors.artist_resolve(name=value)
        if artist is None:
            raise ValidationError(
                'unknown artist "%(value)s" (use a canonical name or a known alias)', params={"value": value}
            )
        return artist


class IsrcField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        isrc = normalize_isrc(value)
        if not forms.RegexField(ISRC_PATTERN).regex.match(isrc):
            raise ValidationError(
                '"%(value)s" is not an ISRC (CCXXXYYNNNNN, e.g. QZTAW2496365); titles are not accepted',
                params={"value": value},
            )
        return isrc


class BoundedDateField(forms.DateField):
    """YYYY-MM-DD within 1900-01-01 … 2199-12-31 (range arithmetic never overflows)."""

    input_formats = ["%Y-%m-%d"]
    low, high = dt.date(1900, 1, 1), dt.date(2199, 12, 31)

    def clean(self, value):
        value = super().clean(value)
        if value is not None and not self.low <= value <= self.high:
            raise ValidationError(f"{value} is out of range ({self.low} … {self.high})")
        return value


class DayOrMonthField(BoundedDateField):
    """YYYY-MM-DD, or YYYY-MM (the 1st of that month) for month grain."""

    input_formats = ["%Y-%m-%d", "%Y-%m"]


class StrictBooleanField(forms.Field):
    TRUE, FALSE = {"true", "1"}, {"false", "0"}

    def clean(self, value):
        if value in (None, ""):
            return None
        lowered = str(value).lower()
        if lowered in self.TRUE:
            return True
        if lowered in self.FALSE:
            return False
        raise ValidationError('"%(value)s" is not a boolean (true, false, 1, 0)', params={"value": value})


class CommaListField(forms.CharField):
    def __init__(self, *args, allowed: tuple[str, ...] = (), **kwargs):
        self.allowed = allowed
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return []
        items = [item.strip() for item in value.split(",") if item.strip()]
        unknown = [item for item in items if item not in self.allowed]
        if unknown:
            raise ValidationError(
                'unknown value "%(value)s" (allowed: %(allowed)s)',
                params={"value": unknown[0], "allowed": ", ".join(self.allowed)},
            )
        return list(dict.fromkeys(items))


def _param(field_class, **kwargs):
    """A django-filter Filter whose form field is `field_class` (validation only; selectors do the work)."""
    filter_class = type(f"{field_class.__name__}Param", (django_filters.Filter,), {"field_class": field_class})
    return extend_schema_field(OpenApiTypes.STR)(filter_class)(**kwargs)


class ParamsFilterSet(django_filters.FilterSet):
    """Base: validation only. `params(request)` returns cleaned values or raises a 400 naming the parameter."""

    class Meta:
        model = LoadRun  # any model: these FilterSets never filter a queryset
        fields: list[str] = []

    @classmethod
    def params(cls, query_params) -> dict:
        filterset = cls(query_params, queryset=LoadRun.objects.none())
        if not filterset.is_valid():
            raise ParameterError(filterset)
        return filterset.form.cleaned_data


class ParameterError(Exception):
    def __init__(self, filterset):
        messages = []
        for name, errors in filterset.errors.items():
            field = filterset.form.fields.get(name)
            allowed = ""
            if field is not None and getattr(field, "choices", None):
                allowed = " (allowed: " + ", ".join(str(c[0]) for c in field.choices if c[0] != "") + ")"
            messages.append(f'invalid parameter "{name}": {" ".join(errors)}{allowed}')
        super().__init__("; ".join(messages))


def _choices(values) -> list[tuple[str, str]]:
    return [(value, value) for value in values]


GROUP_BY_DIMENSIONS = (
    "source",
    "platform",
    "artist",
    "isrc",
    "store",
    "country",
    "spotify_track_id",
    "category",
    "campaign_id",
)


SERIES_PLATFORMS = (
    "spotify",
    "apple_music",
    "itunes",
    "youtube",
    "amazon_music",
    "tidal",
    "deezer",
    "pandora",
    "tiktok",
    "facebook",
    "netease",
    "flo",
    "luna",
)  # contract B1


class SeriesParams(ParamsFilterSet):
    """B1 common parameters."""

    start = _param(DayOrMonthField, required=False)
    end = _param(BoundedDateField, required=False)
    artist = _param(ArtistField, required=False)
    isrc = _param(IsrcField, required=False)
    track = _param(IsrcField, required=False)  # alias of isrc
    platform = django_filters.ModelChoiceFilter(
        queryset=Platform.objects.filter(slug__in=SERIES_PLATFORMS).order_by("slug"), to_field_name="slug"
    )
    granularity = django_filters.ChoiceFilter(choices=_choices(selectors.GRANULARITIES))
    group_by = _param(CommaListField, required=False, allowed=GROUP_BY_DIMENSIONS)

    @classmethod
    def filters_from(cls, query_params) -> tuple[selectors.SeriesFilters, dict]:
        data = cls.params(query_params)
        filters = selectors.SeriesFilters(
            start=data.get("start"),
            end=data.get("end"),
            artist=data.get("artist"),
            isrc=data.get("isrc") or data.get("track"),
            platform=data.get("platform"),
            granularity=data.get("granularity") or None,
            group_by=data.get("group_by") or [],
        )
        return filters, data


class StreamingParams(SeriesParams):
    source = django_filters.ChoiceFilter(choices=_choices(selectors.STREAM_SOURCES))
    time_period = django_filters.ChoiceFilter(choices=_choices(["1day", "7day", "28day", "1year", "all", "unknown"]))


class FinancialParams(SeriesParams):
    series = _param(CommaListField, required=False, allowed=selectors.FINANCIAL_SERIES)
    basis = django_filters.ChoiceFilter(choices=_choices(["sale_month", "reporting_date"]))


class SocialParams(SeriesParams):
    platform = django_filters.ChoiceFilter(choices=_choices(selectors.SOCIAL_PLATFORMS))  # B5: tiktok | linktree
    account = django_filters.CharFilter()


class CampaignParams(ParamsFilterSet):
    start = _param(BoundedDateField, required=False)
    end = _param(BoundedDateField, required=False)
    artist = _param(ArtistField, required=False)
    isrc = _param(IsrcField, required=False)
    status = django_filters.CharFilter()
    include_daily = _param(StrictBooleanField, required=False)
    granularity = django_filters.ChoiceFilter(choices=_choices(selectors.GRANULARITIES))


class MonthlyRevenueParams(ParamsFilterSet):
    include_expected = _param(StrictBooleanField, required=False)
    months = _param(forms.IntegerField, required=False, min_value=1, max_value=120)


class DailyStreamsParams(ParamsFilterSet):
    days = _param(forms.IntegerField, required=False, min_value=1, max_value=365)
    source = django_filters.ChoiceFilter(choices=_choices(["distrokid", "toolost", "all"]))
    include_partial = _param(StrictBooleanField, required=False)


class GrowthParams(ParamsFilterSet):
    period = django_filters.ChoiceFilter(choices=_choices(selectors.GROWTH_PERIODS))


class AudienceParams(ParamsFilterSet):
    artist = _param(ArtistField, required=False)
    start = _param(BoundedDateField, required=False)
    end = _param(BoundedDateField, required=False)


# --- List resources -------------------------------------------------------------------------------------------


class ArtistFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    ordering = django_filters.OrderingFilter(fields=("id", "name", "status"))

    class Meta:
        model = Artist
        fields = ["status"]


class TrackFilterSet(django_filters.FilterSet):
    isrc = _param(IsrcField, required=False)
    artist = _param(ArtistField, required=False, method="filter_artist")
    title = django_filters.CharFilter(lookup_expr="icontains")
    ordering = django_filters.OrderingFilter(fields=("id", "isrc", "title", "release_date"))

    class Meta:
        model = Track
        fields = ["release_type", "needs_review"]

    def filter_artist(self, queryset, name, value):
        return queryset.filter(track_artists__artist=value).distinct() if value else queryset


class PlatformFilterSet(django_filters.FilterSet):
    ordering = django_filters.OrderingFilter(fields=("id", "slug", "name", "type"))

    class Meta:
        model = Platform
        fields = ["type"]


class LoadRunFilterSet(django_filters.FilterSet):
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    ordering = django_filters.OrderingFilter(fields=("id", "created_at", "started_at", "finished_at", "status"))

    class Meta:
        model = LoadRun
        fields = ["status", "trigger"]
