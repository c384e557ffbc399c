from django.apps import AppConfig


class WarehouseConfig(AppConfig):
    name = "warehouse"
    verbose_name = "BEDROT warehouse"

    def ready(self) -> None:
        from bedrot_site import checks  # noqa: F401  # registers the project's deploy checks
