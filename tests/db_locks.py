"""Another process's write lock on the warehouse database, as a long load's merge holds it, and a probe for one."""

import sqlite3

from django.db import connection

# PostgreSQL has no database-wide write lock: EXCLUSIVE on the tables the web writes (refresh, admin login) blocks
# their writers and lets readers through, like SQLite's RESERVED lock.
PG_WRITTEN_TABLES = ("load_run", "django_session", "auth_user")


class write_lock_held:  # named like a function: `with write_lock_held():`
    def __enter__(self):
        settings = connection.settings_dict
        if connection.vendor == "sqlite":
            self.conn = sqlite3.connect(settings["NAME"], isolation_level=None)
            self.conn.execute("BEGIN IMMEDIATE")  # what a writer holds until it commits
        else:
            self.conn = _pg_connect()
            self.conn.execute(f"LOCK TABLE {', '.join(PG_WRITTEN_TABLES)} IN EXCLUSIVE MODE")
        return self

    def __exit__(self, *exc):
        self.conn.rollback()
        self.conn.close()


def _pg_connect():
    import psycopg

    settings = connection.settings_dict
    return psycopg.connect(host=settings["HOST"], port=settings["PORT"], user=settings["USER"], dbname=settings["NAME"])


def file_transaction_open() -> bool:
    """True while another connection holds a load's file transaction: SQLite's write lock (BEGIN IMMEDIATE fails at
    once), or on PostgreSQL a transaction that inserted the file's source_file record. Safe from any thread."""
    if connection.vendor == "sqlite":
        probe = sqlite3.connect(connection.settings_dict["NAME"], timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            probe.close()
    with _pg_connect() as probe:
        (count,) = probe.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE c.relname = 'source_file' AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid()"
        ).fetchone()
    return count > 0
