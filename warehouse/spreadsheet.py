"""Text a spreadsheet would run as a formula (OWASP CSV injection): the loader counts it, exports quote it."""

import re

# A cell starting with one of these runs as a formula in Excel/LibreOffice/Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Text that an escaped cell reads back as: quotes, then a formula prefix. A real value of that shape is quoted too,
# so `unescape_formula(escape_formula(x)) == x` for every x and an exported file imports unchanged.
_ESCAPED = re.compile(r"'+[=+\-@\t\r]")


def escape_formula(value: str) -> str:
    """Quote a text cell that a spreadsheet would evaluate (import-export's own escaping only strips `=`)."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) or _ESCAPED.match(value) else value


def unescape_formula(value: str) -> str:
    """The value `escape_formula` quoted: an imported export compares equal to the stored row."""
    return value[1:] if _ESCAPED.match(value) else value
