"""Raw fingerprints of DistroKid records, and the active rows they keep (etl/sources/dk_bank_details.py).

A newer snapshot repeats the whole history: a record byte-identical to an active row's keeps that row unparsed,
since identical text gives identical normalised values and so the same identity.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
from django.db import connection

TABLE = "royalty_line"
FINGERPRINT_VERSION = b"dk-1"  # bump when parsing or normalisation changes: every record is then parsed again
SEPARATOR = "\x1f"


def fingerprint_salt(header: list[str]) -> bytes:
    """Same text under another header (reordered columns) must not match: the header salts every fingerprint."""
    return hashlib.blake2b(SEPARATOR.join(header).encode(), digest_size=16).digest()


def fingerprints(rows: list[list[str]], salt: bytes) -> list[bytes | None]:
    """blake2b-128 of each record's fields; None when a field holds the separator (the join would be ambiguous)."""
    blake, width = hashlib.blake2b, len(rows[0]) if rows else 0
    digests = []
    for row in rows:
        joined = SEPARATOR.join(row)
        digests.append(
            blake(joined.encode(), digest_size=16, salt=salt, person=FINGERPRINT_VERSION).digest()
            if joined.count(SEPARATOR) == width - 1
            else None
        )
    return digests


def _halves(digests) -> tuple[np.ndarray, np.ndarray]:
    """16-byte digests → (first, second) 8 bytes as big-endian integers: sorting by both sorts the bytes."""
    both = np.frombuffer(b"".join(digests), dtype=">u8").astype(np.uint64).reshape(-1, 2)
    return both[:, 0], both[:, 1]


class ActiveRows:
    """Every active row's id, and for those with a fingerprint the sorted fingerprints (identical ones by
    occurrence): the rows that byte-identical records of the new snapshot keep, each at most once."""

    FETCH = 50_000

    def __init__(self, high: np.ndarray, low: np.ndarray, ids: np.ndarray, unmatchable: np.ndarray):
        self.high, self.low, self.ids, self.unmatchable = high, low, ids, unmatchable
        same = (high[1:] == high[:-1]) & (low[1:] == low[:-1])
        starts = np.flatnonzero(np.r_[True, ~same]) if len(ids) else np.empty(0, dtype=np.int64)
        self.run_end = np.zeros(len(ids), dtype=np.int64)  # at each run's first position: one past its last
        self.run_end[starts] = np.r_[starts[1:], len(ids)]
        self.taken = np.zeros(len(ids), dtype=np.int64)  # at each run's first position: rows kept so far
        self.kept: list[np.ndarray] = []

    @classmethod
    def load(cls) -> ActiveRows:
        parts: list[tuple] = []
        unmatchable: list[int] = []
        with connection.chunked_cursor() as cursor:  # server-side on PostgreSQL: rows arrive FETCH at a time
            cursor.execute(f"SELECT raw_fingerprint, id, occurrence FROM {TABLE} WHERE retracted_by_file_id IS NULL")
            while part := cursor.fetchmany(cls.FETCH):  # numpy arrays, never a million Python tuples at once
                digests, ids, occurrences = zip(*part)
                if None in digests:  # rows loaded before fingerprints existed, or whose text had the separator
                    unmatchable += [row[1] for row in part if row[0] is None]
                    part = [row for row in part if row[0] is not None]
                    if not part:
                        continue
                    digests, ids, occurrences = zip(*part)
                if not isinstance(digests[0], bytes):  # PostgreSQL may hand bytea as memoryview
                    digests = [bytes(d) for d in digests]
                high, low = _halves(digests)
                parts.append((high, low, np.array(ids, dtype=np.int64), np.array(occurrences, dtype=np.int64)))
        if not parts:
            parts.append((np.empty(0, np.uint64), np.empty(0, np.uint64), np.empty(0, np.int64), np.empty(0, np.int64)))
        high, low, ids, occurrences = (np.concatenate(column) for column in zip(*parts))
        order = np.lexsort((occurrences, low, high))
        return cls(high[order], low[order], ids[order], np.array(unmatchable, dtype=np.int64))

    def keep(self, digests: list[bytes | None]) -> np.ndarray:
        """Which records keep an active row (they are not parsed); the kept positions are remembered."""
        keeps = np.zeros(len(digests), dtype=bool)
        usable = np.flatnonzero([d is not None for d in digests])
        if not len(self.ids) or not len(usable):
            return keeps
        high, low = _halves([digests[i] for i in usable])
        first = np.searchsorted(self.high, high, side="left")
        at = np.minimum(first, len(self.ids) - 1)
        found = np.flatnonzero((self.high[at] == high) & (self.low[at] == low))
        starts = first[found]
        turn = pd.Series(starts).groupby(starts).cumcount().to_numpy()  # identical records in this chunk, in order
        position = starts + self.taken[starts] + turn
        fits = position < self.run_end[starts]
        keeps[usable[found[fits]]] = True
        self.kept.append(position[fits])
        np.add.at(self.taken, starts, 1)
        return keeps

    def unkept_ids(self) -> np.ndarray:
        """Active rows no record kept: present under another text, gone, or without a fingerprint."""
        mask = np.ones(len(self.ids), dtype=bool)
        if self.kept:
            mask[np.concatenate(self.kept)] = False
        return np.sort(np.concatenate([self.ids[mask], self.unmatchable]))


# --- one chunk ------------------------------------------------------------------------------------------------------
