"""Walking the curated zone (contract §1.1): an unreadable folder is a configuration error (exit 2
naming it), never a silently empty zone; a file whose real path leaves the lake is reported, never read."""

from __future__ import annotations

import os
from pathlib import Path


class LakeUnreadable(Exception):
    """A folder of the lake could not be listed: nothing is loaded, the run fails, the command exits 2."""

    def __init__(self, path: Path, error: OSError):
        super().__init__(f"cannot read {path}: {error.strerror or error}")
        self.path = path


def curated_files(curated: Path) -> list[Path]:
    """Every file under `curated`, sorted; symlinked folders are not descended (as Path.rglob), and any folder
    that cannot be listed raises LakeUnreadable (Path.rglob skipped it silently)."""

    def fail(error: OSError) -> None:
        raise LakeUnreadable(Path(error.filename or curated), error)

    found = []
    for folder, _, names in os.walk(curated, onerror=fail):
        found += [path for name in names if (path := Path(folder) / name).is_file()]
    return sorted(found)


def outside_lake(path: Path, *, roots: tuple[Path, ...]) -> bool:
    """True when the real path of `path` (symlinks followed) is under none of the resolved `roots`."""
    real = path.resolve()
    return not any(real.is_relative_to(root) for root in roots)
