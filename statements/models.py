"""Issued royalty statements, their lines, and the payments staff record against them (docs/STATEMENTS.md).

Only issued statements are stored: a draft is computed on demand. An issued statement and its lines never change
(save/delete refuse it); a later DK revision of its period shows as adjustment lines on the artist's next statement.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from warehouse.fields import FixedDecimalField
from warehouse.models import Artist, Track


class Immutable(Exception):
    pass


class _WriteOnce(models.Model):
    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise Immutable(f"{self._meta.verbose_name} {self.pk} is issued and never changes")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise Immutable(f"{self._meta.verbose_name} {self.pk} is issued and is never deleted")


class Statement(_WriteOnce):
    artist = models.ForeignKey(Artist, on_delete=models.PROTECT, related_name="statements")
    period_label = models.CharField(max_length=20, help_text="2025-Q1, 2025-03, 2025 or 2024-11..2025-02")
    period_start = models.DateField(help_text="First Sale Month.")
    period_end = models.DateField(help_text="Last Sale Month (inclusive).")
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    units = models.BigIntegerField(help_text="Σ quantity of the artist's own earnings lines.")
    gross = FixedDecimalField(help_text="Σ earnings of the artist's own lines of the period.")
    artist_amount = FixedDecimalField(help_text="The artist's share of their own lines.")
    featured_amount = FixedDecimalField(help_text="The artist's share of other artists' tracks they feature on.")
    co_artists_amount = FixedDecimalField(help_text="Co-artists' shares of the artist's own lines.")
    label_amount = FixedDecimalField()
    adjustments_amount = FixedDecimalField(help_text="The artist's share of revisions of earlier statements.")
    opening_balance = FixedDecimalField()
    payments_amount = FixedDecimalField(help_text="Payments recorded since the previous statement.")
    closing_balance = FixedDecimalField()
    checksum = models.CharField(max_length=64, help_text="sha256 of the statement's lines and totals.")

    class Meta:
        db_table = "royalty_statement"
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["artist", "period_start", "period_end"], name="royalty_statement_once"),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="royalty_statement_period_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.artist} {self.period_label} (#{self.pk})"


class StatementLine(_WriteOnce):
    class Section(models.TextChoices):
        OWN = "own", "own tracks"
        FEATURED = "featured", "featured on"

    class Kind(models.TextChoices):
        EARNINGS = "earnings"
        NEGATIVE = "negative", "negative lines (fees, adjustments)"

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveIntegerField()
    section = models.CharField(max_length=10, choices=Section.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    adjusts = models.ForeignKey(
        Statement,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Set on an adjustment line: the earlier statement it revises.",
    )
    owner = models.CharField(max_length=200, help_text="The artist DistroKid reports the lines under.")
    track = models.ForeignKey(Track, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    isrc = models.CharField(max_length=12, blank=True, default="")
    title = models.CharField(max_length=300, blank=True, default="")
    store = models.CharField(max_length=100)
    note = models.CharField(max_length=100, blank=True, default="")
    units = models.BigIntegerField()
    gross = FixedDecimalField()
    share_pct = FixedDecimalField(null=True, blank=True, help_text="The artist's share of the track, percent.")
    artist_amount = FixedDecimalField()
    co_artists_amount = FixedDecimalField()
    label_amount = FixedDecimalField()
    held_amount = FixedDecimalField()

    class Meta:
        db_table = "royalty_statement_line"
        ordering = ["statement", "position"]
        constraints = [models.UniqueConstraint(fields=["statement", "position"], name="royalty_statement_line_pos")]


class StatementPayment(models.Model):
    """Money paid to the artist against an issued statement. Counted on the artist's next statement."""

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="payments")
    amount = FixedDecimalField(help_text="USD paid; a negative amount reverses a payment recorded by mistake.")
    paid_on = models.DateField()
    reference = models.CharField(max_length=200, blank=True, default="", help_text="Bank or PayPal reference.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    counted_in = models.ForeignKey(
        Statement,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The statement whose closing balance includes this payment.",
    )

    class Meta:
        db_table = "royalty_statement_payment"
        ordering = ["-paid_on", "-id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="royalty_statement_payment_nonzero")]

    def __str__(self) -> str:
        return f"{self.amount} USD on {self.paid_on} against {self.statement}"
