"""`glob`: a CHECK-constraint pattern that both databases evaluate with built-in SQL.

A `__regex` lookup compiles to `REGEXP` on SQLite, a function only Django registers on its own connections: the
plain `sqlite3` shell then fails `PRAGMA integrity_check` ("unknown function: REGEXP()"), and any other tool that
writes the table fails too. Patterns here use only single-character classes (`[A-Z]`, `[0-9]`), which read the
same as SQLite `GLOB` and PostgreSQL `SIMILAR TO` (no `*`, `?`, `%` or `_`), so the file stays portable.
"""

from django.db.models import CharField, Lookup


@CharField.register_lookup
class Glob(Lookup):
    lookup_name = "glob"

    def as_sql(self, compiler, connection):  # PostgreSQL (and any other backend): SQL-standard SIMILAR TO
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} SIMILAR TO {rhs}", [*lhs_params, *rhs_params]

    def as_sqlite(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} GLOB {rhs}", [*lhs_params, *rhs_params]
