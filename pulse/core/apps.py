from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "pulse.core"
    label = "core"
    verbose_name = "Pulse core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from pulse.core import task_signals

        task_signals.connect()
