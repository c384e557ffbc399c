"""How a committed load reaches /ws clients (filled in by the realtime issue)."""


def load_run_committed(*, load_run_id: int) -> None:
    """Called by the loader after a run that committed at least one changed row (outside any transaction)."""
