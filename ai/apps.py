from django.apps import AppConfig


class AiConfig(AppConfig):
    name = "ai"
    verbose_name = "AI configuration"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ai.execution.validation import validate_ai_integration
        from ai.vectors.stores import readiness_check
        from ai.vectors.watch import backfill_metrics
        from pulse.core.health import register_check
        from pulse.core.metrics import register_scrape_collector
        from pulse.core.services import register_integration_validator

        register_check("vector_store", readiness_check)
        register_scrape_collector(backfill_metrics)
        register_integration_validator(validate_ai_integration)
