from django.apps import AppConfig


class WarehouseConfig(AppConfig):
    name = "warehouse"
    verbose_name = "BEDROT warehouse"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from bedrot_site import checks  # noqa: F401  # registers the project's deploy checks
        from warehouse.management.sqlite_ops import sqlite_files_private

        connection_created.connect(sqlite_files_private, dispatch_uid="warehouse.sqlite_files_private")
