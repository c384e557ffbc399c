"""Another process's write lock on the warehouse database, as a long load's merge holds it."""

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
            import psycopg

            self.conn = psycopg.connect(
                host=settings["HOST"], port=settings["PORT"], user=settings["USER"], dbname=settings["NAME"]
            )
            self.conn.execute(f"LOCK TABLE {', '.join(PG_WRITTEN_TABLES)} IN EXCLUSIVE MODE")
        return self

    def __exit__(self, *exc):
        self.conn.rollback()
        self.conn.close()
