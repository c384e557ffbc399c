"""The keys the schema validates and matches on: ISRC, country and Meta id shapes, and the normalization of ISRCs and
alias spellings that loads, imports and the admin share."""

from django.core.validators import RegexValidator

ISRC_PATTERN = r"^[A-Z]{2}[A-Z0-9]{3}\d{7}$"
# The same shape as a GLOB / SIMILAR TO pattern for the CHECK constraint (warehouse/lookups.py: no REGEXP in the
# schema, so any SQLite tool can check and write the file); the Python validator keeps ISRC_PATTERN.
ISRC_GLOB = "[A-Z][A-Z]" + "[A-Z0-9]" * 3 + "[0-9]" * 7
isrc_validator = RegexValidator(ISRC_PATTERN, "ISRC must look like CCXXXYYNNNNN (e.g. QZTAW2496365).")
country_validator = RegexValidator(r"^[A-Z]{2}$", "Country must be a two-letter upper-case code.")
meta_id_validator = RegexValidator(r"^\d{1,20}$", "Meta ids are digits, stored as text.")


def normalize_isrc(value: str) -> str:
    """Upper-case and strip dashes and spaces (the contract's ISRC normalization)."""
    return value.replace("-", "").replace(" ", "").strip().upper()


def normalize_alias(value: str) -> str:
    """Alias matching key: trimmed, spaces collapsed, case-folded."""
    return " ".join(value.split()).casefold()
