"""The wire shape of the warehouse's numbers, in one place: selectors hand out Decimal and int, and these fields
round half-up to the contract's precision and write a JSON float. The documented bodies (api/bodies.py) are
built from them, and the views and the websocket snapshot shape every body through its description, so the
OpenAPI schema and the bodies cannot drift."""

import functools
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

from rest_framework import serializers


class RoundedField(serializers.FloatField):
    """A Decimal (or int) rounded half-up to `places`, as a float; None counts as 0 (an empty sum)."""

    places = Decimal("0.01")

    def to_representation(self, value) -> float:
        return float(Decimal(value or 0).quantize(self.places, rounding=ROUND_HALF_UP))


class UsdField(RoundedField):
    """Money: to the cent."""


class PctField(RoundedField):
    """A percentage (0-100 and beyond): two decimals."""


class RateField(RoundedField):
    """Revenue per stream: six decimals."""

    places = Decimal("0.000001")


class RatioField(RoundedField):
    """A ratio (0-1): four decimals."""

    places = Decimal("0.0001")


def shape(description: serializers.Field, value):
    """`value` (a selector's result) as the wire carries it: `description` is its documented body. Objects keep
    their documented keys in documented order (an optional key may be absent) and the rounded fields round; other
    values pass as they are (selectors hand out int, str, bool and None already)."""
    return _plan(description)(value)


@functools.cache
def _plan(description: serializers.Field) -> Callable:
    """The description compiled once into plain functions: DRF's generic to_representation costs more than the
    read itself on a series of thousands of rows."""
    if isinstance(description, RoundedField):
        return description.to_representation
    if isinstance(description, serializers.Serializer):
        fields = [(name, _plan(field), field.required) for name, field in description.fields.items()]
        return functools.partial(_object, fields)
    if isinstance(description, serializers.ListField):
        return functools.partial(_list, _plan(description.child))
    if isinstance(description, serializers.DictField):
        return functools.partial(_mapping, _plan(description.child))
    return _same


def _same(value):
    return value


def _object(fields: list, value: dict) -> dict:
    out = {}
    for name, plan, required in fields:
        if name in value:
            item = value[name]
            out[name] = None if item is None else plan(item)
        elif required:
            raise KeyError(name)  # a body without a documented field is a bug, not a response
    return out


def _list(plan: Callable, value: list) -> list:
    return [None if item is None else plan(item) for item in value]


def _mapping(plan: Callable, value: dict) -> dict:
    return {str(key): None if item is None else plan(item) for key, item in value.items()}
