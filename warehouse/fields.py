"""Exact decimals on every backend.

SQLite has no decimal type: a Django DecimalField lands in a NUMERIC column as a float, and SUM() adds floats.
FixedDecimalField stores a Decimal as an integer count of 10**-scale units, so sums in SQL are exact integers
on SQLite and PostgreSQL alike, and Python sees Decimal values (aggregates included).
"""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

MONEY_SCALE = 10  # the contract asks for at least 10 decimal places


def to_units(value: Decimal, scale: int = MONEY_SCALE) -> int:
    """Decimal → integer units; refuses values that would lose digits."""
    scaled = value.scaleb(scale)
    units = int(scaled)
    if scaled != units:
        raise ValueError(f"{value} has more than {scale} decimal places")
    return units


def from_units(units: int, scale: int = MONEY_SCALE) -> Decimal:
    return Decimal(int(units)).scaleb(-scale)


class FixedDecimalField(models.BigIntegerField):
    description = "Decimal stored as integer units of 10**-scale"

    def __init__(self, *args, scale: int = MONEY_SCALE, **kwargs):
        self.scale = scale
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.scale != MONEY_SCALE:
            kwargs["scale"] = self.scale
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return from_units(value, self.scale)

    def to_python(self, value):
        if value is None or isinstance(value, Decimal):
            return value
        try:
            return Decimal(str(value))
        except ArithmeticError as exc:
            raise ValidationError(f"{value!r} is not a decimal number") from exc

    def get_prep_value(self, value):
        if value is None:
            return None
        if isinstance(value, models.expressions.Combinable):
            return value
        return to_units(self.to_python(value), self.scale)

    def formfield(self, **kwargs):
        return super(models.BigIntegerField, self).formfield(
            **{"form_class": forms.DecimalField, "decimal_places": self.scale, **kwargs}
        )
