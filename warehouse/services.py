"""Writes: every change to the warehouse goes through a keyword-only, typed `<entity>_<action>` function here.

Owners while the project is being built (see each function): the loader (etl) writes facts through its pipeline
and calls `facts_changed` inside each file's transaction.
"""

from warehouse.models import SourceFile


def facts_changed(*, kind: str, source_file: SourceFile) -> None:
    """Called by the loader inside each file's transaction, after its merge and before commit.

    The place to maintain precomputed aggregates so readers see them change atomically with the facts.
    """
