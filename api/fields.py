"""The wire shape of the warehouse's numbers, in one place: selectors hand out Decimal and int, and these fields
round half-up to the contract's precision and write a JSON float. The documented bodies (api/serializers.py) are
built from them, and the views and the websocket snapshot shape every body through its description, so the
OpenAPI schema and the bodies cannot drift."""

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
    """`value` (a selector's result) as the wire carries it: `description` is its documented body."""
    return description.to_representation(value)
