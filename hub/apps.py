from django.apps import AppConfig


class HubConfig(AppConfig):
    """The AI configuration hub: server-rendered pages over the ai and etl services."""

    name = "hub"
    verbose_name = "AI configuration hub"
