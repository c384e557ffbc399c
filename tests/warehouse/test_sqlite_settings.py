"""The SQLite connection options on a real database file, read back through Django."""

import pytest
from django.conf import settings
from django.db import connection


@pytest.mark.django_db
def test_sqlite_pragmas_on_a_real_file():
    if connection.vendor != "sqlite":
        assert settings.DATABASES["default"]["ATOMIC_REQUESTS"] is False
        assert connection.vendor == "postgresql"
        return
    name = connection.settings_dict["NAME"]
    assert name.endswith(".db") and "memory" not in name  # a real file, not ":memory:"
    with connection.cursor() as cursor:
        assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert cursor.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert cursor.execute("PRAGMA busy_timeout").fetchone()[0] >= 20000
        assert cursor.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert connection.transaction_mode == "IMMEDIATE"
    assert settings.DATABASES["default"]["ATOMIC_REQUESTS"] is False
