"""Read one curated CSV file: header + data rows, each with the physical line it starts on.

The `csv` module (strict quoting) does the parsing; this module adds what it lacks for the contract (§1.2):
strict UTF-8 with the failing byte's line, BOM stripping, LF/CRLF/CR-only line ends, the *starting* line of
multi-line records (csv.line_num reports the end line), and rows with a wrong field count or an unterminated
quote kept aside as `malformed_row` instead of being silently repaired.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

CHUNK_ROWS = 20_000
RAW_EXCERPT = 500
VALUE_EXCERPT = 200
MESSAGE_CHARS = 1000
_LINE_END = re.compile(r"\r\n|\r|\n")
_OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}


def excerpt(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with its full length noted: input never reaches a stored or logged message
    whole (a 40 MB header once became a 100 MB message). A NUL is shown as `\\x00`: PostgreSQL text
    cannot hold it."""
    text = text.replace("\x00", "\\x00")
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text):,} characters]"


class FileRejected(Exception):
    """The whole file is refused: `reason` is a contract reject code, `message` one human line (capped: it may
    quote the header or a value)."""

    def __init__(self, reason: str, message: str):
        message = excerpt(message, MESSAGE_CHARS)
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


class _HashingRaw(io.RawIOBase):
    """A raw binary file that hashes every byte it hands to the parser: the checksum of exactly what was parsed."""

    def __init__(self, path: Path):
        self._file = open(path, "rb", buffering=0)  # noqa: SIM115 (closed by close(), with the text wrapper)
        self.digest = hashlib.sha256()
        self.nul_seen = False  # rows are only searched for NUL once a block held one (C speed, per MiB)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self._file.readinto(buffer)
        if count:
            block = memoryview(buffer)[:count].tobytes()
            self.digest.update(block)
            self.nul_seen = self.nul_seen or b"\x00" in block
        return count

    def close(self) -> None:
        self._file.close()
        super().close()


def _not_utf8(path: Path, name: str) -> FileRejected:
    """Locate the first invalid byte (only read whole on this failure path)."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        start = len(data)
    except UnicodeDecodeError as exc:
        start = exc.start
    line = len(_LINE_END.findall(data[:start].decode("utf-8", errors="replace"))) + 1
    byte = f"0x{data[start]:02x}" if start < len(data) else "end of file"
    return FileRejected(
        "not_utf8", f"{name}: rejected (not_utf8): invalid UTF-8 byte {byte} at byte offset {start} (line {line})"
    )


def read_csv(path: Path, *, name: str, sha256: str | None = None) -> CsvFile:
    """Parse `path` (shown as `name` in messages), streaming. Raises FileRejected for file-level faults (possibly
    while `chunks` is consumed: a non-UTF-8 byte further down the file).

    With `sha256` (the checksum the file is recorded under), the bytes parsed are hashed as they are read and the
    last chunk is only handed out when they match: a file rewritten meanwhile is rejected `changed_while_reading`
    instead of stored in part under the whole file's checksum."""
    if path.stat().st_size == 0:
        raise FileRejected("empty_file", f"{name}: rejected (empty_file): the file has 0 bytes")
    raw = _HashingRaw(path)
    # utf-8-sig strips a BOM; newline=None accepts LF, CRLF and CR-only line ends alike.
    handle = io.TextIOWrapper(io.BufferedReader(raw, 1 << 20), encoding="utf-8-sig", errors="strict", newline=None)
    # csv.line_num counts the physical lines read so far: a record starts one after where the previous one ended.
    reader = csv.reader(handle, strict=True)

    def next_record() -> list[str]:
        try:
            return next(reader)
        except UnicodeDecodeError:
            handle.close()
            raise _not_utf8(path, name) from None

    try:
        header = [column.strip() for column in next_record()]
    except StopIteration:
        handle.close()
        raise FileRejected("malformed_csv", f"{name}: rejected (malformed_csv): line 1 holds no header") from None
    except csv.Error as exc:
        handle.close()
        raise FileRejected("malformed_csv", f"{name}: rejected (malformed_csv): header on line 1: {exc}") from None
    if len(header) == 1:
        for delimiter, label in _OTHER_DELIMITERS.items():
            if delimiter in header[0]:
                handle.close()
                raise FileRejected(
                    "malformed_csv",
                    f"{name}: rejected (malformed_csv): the header is {label}-separated ({delimiter!r}); "
                    "curated files are comma-separated",
                )
    if any(not column for column in header) or len(set(header)) != len(header):
        handle.close()
        raise FileRejected(
            "malformed_csv", f"{name}: rejected (malformed_csv): empty or repeated column names in the header: {header}"
        )

    malformed: list[Malformed] = []
    width = len(header)

    def chunks() -> Iterator[Chunk]:
        chunk = Chunk()
        spans: list[tuple[int, int]] = []  # physical lines of each malformed record, for its raw excerpt
        with handle:
            while True:
                start = reader.line_num + 1
                try:
                    row = next_record()
                except StopIteration:
                    break
                except csv.Error as exc:
                    message = "unterminated quote" if "unexpected end of data" in str(exc) else str(exc)
                    malformed.append(Malformed(start, "", f"line {start}: {message}"))
                    spans.append((start, reader.line_num))
                    continue
                if not row:
                    continue  # a blank line is not a row
                if len(row) != width:
                    malformed.append(Malformed(start, "", f"line {start}: {len(row)} fields, the header has {width}"))
                    spans.append((start, reader.line_num))
                    continue
                if raw.nul_seen and (column := next((c for c, v in zip(header, row) if "\x00" in v), None)):
                    # Not text on PostgreSQL: the row, never the whole file, is refused, the same on both databases.
                    malformed.append(
                        Malformed(
                            start,
                            "",
                            f"line {start}: a NUL byte (0x00) in column {excerpt(repr(column), VALUE_EXCERPT)}",
                        )
                    )
                    spans.append((start, reader.line_num))
                    continue
                chunk.lines.append(start)
                chunk.rows.append(row)
                if len(chunk.rows) >= CHUNK_ROWS:
                    yield chunk
                    chunk = Chunk()
            parsed = raw.digest.hexdigest()
        if sha256 is not None and parsed != sha256:
            raise FileRejected(
                "changed_while_reading",
                f"{name}: rejected (changed_while_reading): the file changed while it was read (sha256 "
                f"{sha256[:12]}… before, {parsed[:12]}… as parsed); nothing of it is kept, the next run loads it",
            )
        if spans:  # only a file with malformed records is read a second time
            text = physical_lines(path, {line for first, last in spans for line in range(first, last + 1)})
            for record, (first, last) in zip(malformed, spans):
                record.raw = excerpt("\n".join(text.get(line, "") for line in range(first, last + 1)), RAW_EXCERPT)
        if chunk.rows:
            yield chunk

    return CsvFile(header=header, chunks=chunks(), malformed=malformed)


def physical_lines(path: Path, wanted: set[int]) -> dict[int, str]:
    """The text of the given physical lines (1-based): raw excerpts for quarantined rows."""
    if not wanted:
        return {}
    found: dict[int, str] = {}
    last = max(wanted)
    with open(path, encoding="utf-8-sig", errors="replace", newline=None) as handle:
        for number, line in enumerate(handle, start=1):
            if number in wanted:
                found[number] = excerpt(line.rstrip("\n"), RAW_EXCERPT)
            if number >= last:
                break
    return found
