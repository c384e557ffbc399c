from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"
    verbose_name = "Live updates (/ws)"

    def ready(self):
        from realtime import broadcasting
        from warehouse.services import load_run_committed

        def broadcast(sender, *, load_run_id: int, **kwargs) -> None:
            broadcasting.load_run_committed(load_run_id=load_run_id)

        # warehouse announces committed runs (loads, staff changes, restores) without importing realtime
        load_run_committed.connect(broadcast, weak=False, dispatch_uid="realtime.broadcast")
