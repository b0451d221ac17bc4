from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


def _drop_sql_layer(**kwargs) -> None:
    from analytics.sql.install import sql_layer_drop

    sql_layer_drop()


def _install_sql_layer(**kwargs) -> None:
    from analytics.sql.install import sql_layer_install

    sql_layer_install()


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The SQL agent's views are derived from the models: a migration may change a column a
        # view reads, so they go away before it and come back, regenerated, after it.
        pre_migrate.connect(_drop_sql_layer, sender=self, dispatch_uid="analytics-sql-layer-drop")
        post_migrate.connect(_install_sql_layer, sender=self, dispatch_uid="analytics-sql-layer-install")
