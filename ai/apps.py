from django.apps import AppConfig


class AiConfig(AppConfig):
    name = "ai"
    verbose_name = "AI configuration"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ai.execution.validation import validate_ai_integration
        from ai.execution.warm import embedding_server_ready
        from ai.vectors.stores import readiness_check
        from ai.vectors.watch import backfill_metrics
        from pulse.core.health import register_check
        from pulse.core.metrics import register_scrape_collector
        from pulse.core.services import register_integration_validator

        register_check("vector_store", readiness_check)
        register_check("embedding_server", embedding_server_ready)
        register_scrape_collector(backfill_metrics)
        register_integration_validator(validate_ai_integration)
        _warm_local_model_at_start()


def _warm_local_model_at_start() -> None:
    """Gunicorn and Celery fork after this point, so they warm after the fork (pulse.core.startup,
    PULSE_WARM_LOCAL_MODEL=1); runserver has no such hook: PULSE_WARM_LOCAL_MODEL=web (run_local
    sets it for its web process) warms here."""
    import os

    from ai.execution.warm import warm_in_background
    from pulse.core.startup import register_process_start

    register_process_start(warm_in_background)
    if os.environ.get("PULSE_WARM_LOCAL_MODEL") == "web":
        warm_in_background()
