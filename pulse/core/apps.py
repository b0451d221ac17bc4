from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "pulse.core"
    label = "core"
    verbose_name = "Pulse core"
    default_auto_field = "django.db.models.BigAutoField"
