"""The one rounding rule of statements (docs/STATEMENTS.md "Money").

Amounts are exact Decimals until a statement line is written. A set of exact parts that must add up to a rounded
total is rounded with the largest-remainder method: every part is floored to the cent, and the cents still missing
go one each to the parts with the largest dropped fractions (ties: the earlier part). The rounded parts then add up
to the total exactly, and no part moves by a cent or more.
"""

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(value: Decimal) -> Decimal:
    """A figure rounded on its own: half-up to the cent (as sample_lake/README.md §4 rounds its oracle figures)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def cents_allocate(*, parts: list[Decimal], total: Decimal) -> list[Decimal]:
    """Round `parts` to cents so that they add up to `total` (already in cents and within a cent per part of
    Σ parts)."""
    floors = [int((part / CENT).to_integral_value(rounding=ROUND_FLOOR)) for part in parts]
    missing = int(total / CENT) - sum(floors)
    if not 0 <= missing <= len(parts):
        raise ValueError(f"cannot allocate {total} over parts adding up to {sum(parts)}")
    by_fraction = sorted(range(len(parts)), key=lambda i: (-(parts[i] / CENT - floors[i]), i))
    for i in by_fraction[:missing]:
        floors[i] += 1
    return [Decimal(f) * CENT for f in floors]
