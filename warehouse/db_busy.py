"""Is this database error "the lock is held by another writer" (a long load), rather than a real fault?

SQLite raises "database is locked" once its busy timeout (SQLITE_BUSY_TIMEOUT_SECONDS) has passed; PostgreSQL
raises lock_not_available (55P03) once DATABASE_LOCK_TIMEOUT_SECONDS has passed. Web writes answer these with
503 + Retry-After (api/exceptions.py for DRF views, bedrot_site/middleware.py for the rest, e.g. the admin login's
last_login write) and the /ws consumer with an `error` `busy` frame; never 500.
"""

from django.db import OperationalError

RETRY_AFTER_SECONDS = 5


def database_busy(exc: BaseException) -> bool:
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) == "55P03":
        return True
    return (getattr(cause, "sqlite_errorname", None) or "").startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or (
        "database is locked" in str(exc)
    )


def busy_message() -> str:
    return f"The database is busy with another write (a load); try again in {RETRY_AFTER_SECONDS} s."


def busy_body() -> dict:
    """The JSON envelope of a 503 (the `Retry-After` header says the same)."""
    return {"success": False, "error": busy_message(), "retry_after": RETRY_AFTER_SECONDS}
