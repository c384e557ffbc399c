"""The sha256 of a file, read in 1 MiB blocks: the loader's skip key (source_file.sha256) and the backups' checksum."""

import hashlib
from pathlib import Path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
