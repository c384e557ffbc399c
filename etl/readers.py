"""Read one curated CSV file: header + data rows, each with the physical line it starts on.

The `csv` module (strict quoting) does the parsing; this module adds what it lacks for the contract (§1.2):
strict UTF-8 with the failing byte's line, BOM stripping, LF/CRLF/CR-only line ends, the *starting* line of
multi-line records (csv.line_num reports the end line), and rows with a wrong field count or an unterminated
quote kept aside as `malformed_row` instead of being silently repaired.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

CHUNK_ROWS = 50_000
RAW_EXCERPT = 500
_LINE_END = re.compile(r"\r\n|\r|\n")
_OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}


class FileRejected(Exception):
    """The whole file is refused: `reason` is a contract reject code, `message` one human line."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass
class Malformed:
    line: int
    raw: str
    message: str


@dataclass
class Chunk:
    """Up to CHUNK_ROWS well-formed data rows (lists of str, header order) and their starting lines."""

    lines: list[int] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


@dataclass
class CsvFile:
    header: list[str]
    chunks: Iterator[Chunk]
    malformed: list[Malformed]  # filled while `chunks` is consumed


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _decode(data: bytes, name: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = len(_LINE_END.findall(data[: exc.start].decode("utf-8", errors="replace"))) + 1
        raise FileRejected(
            "not_utf8", f"{name}: rejected (not_utf8): invalid UTF-8 byte 0x{data[exc.start]:02x} at byte offset "
            f"{exc.start} (line {line})"
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def read_csv(path: Path, *, name: str) -> CsvFile:
    """Parse `path` (shown as `name` in messages). Raises FileRejected for file-level faults."""
    data = path.read_bytes()
    if not data:
        raise FileRejected("empty_file", f"{name}: rejected (empty_file): the file has 0 bytes")
    text = _decode(data, name)
    del data
    physical = _LINE_END.split(text)
    if physical and physical[-1] == "":
        physical.pop()  # the final line end
    del text
    if not physical or not physical[0].strip():
        raise FileRejected("malformed_csv", f"{name}: rejected (malformed_csv): line 1 holds no header")

    consumed = 0

    def feed() -> Iterator[str]:
        nonlocal consumed
        for line in physical:
            consumed += 1
            yield line + "\n"

    reader = csv.reader(feed(), strict=True)
    try:
        header = [column.strip() for column in next(reader)]
    except csv.Error as exc:
        raise FileRejected("malformed_csv", f"{name}: rejected (malformed_csv): header on line 1: {exc}") from None
    if len(header) == 1:
        for delimiter, label in _OTHER_DELIMITERS.items():
            if delimiter in header[0]:
                raise FileRejected(
                    "malformed_csv",
                    f"{name}: rejected (malformed_csv): the header is {label}-separated ({delimiter!r}); "
                    "curated files are comma-separated",
                )
    if any(not column for column in header) or len(set(header)) != len(header):
        raise FileRejected(
            "malformed_csv", f"{name}: rejected (malformed_csv): empty or repeated column names in the header: {header}"
        )

    malformed: list[Malformed] = []
    width = len(header)

    def chunks() -> Iterator[Chunk]:
        chunk = Chunk()
        while True:
            start = consumed + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raw = "\n".join(physical[start - 1 : consumed])
                message = "unterminated quote" if "unexpected end of data" in str(exc) else str(exc)
                malformed.append(Malformed(start, raw[:RAW_EXCERPT], f"line {start}: {message}"))
                continue
            if not row:
                continue  # a blank line is not a row
            if len(row) != width:
                raw = "\n".join(physical[start - 1 : consumed])
                malformed.append(
                    Malformed(start, raw[:RAW_EXCERPT], f"line {start}: {len(row)} fields, the header has {width}")
                )
                continue
            chunk.lines.append(start)
            chunk.rows.append(row)
            if len(chunk.rows) >= CHUNK_ROWS:
                yield chunk
                chunk = Chunk()
        if chunk.rows:
            yield chunk

    return CsvFile(header=header, chunks=chunks(), malformed=malformed)


def physical_lines(path: Path, wanted: set[int]) -> dict[int, str]:
    """The text of the given physical lines (1-based): raw excerpts for quarantined rows."""
    if not wanted:
        return {}
    text = path.read_bytes().decode("utf-8", errors="replace").lstrip("\ufeff")
    found: dict[int, str] = {}
    for number, line in enumerate(_LINE_END.split(text), start=1):
        if number in wanted:
            found[number] = line[:RAW_EXCERPT]
            if len(found) == len(wanted):
                break
    return found
