from django.apps import AppConfig


class EtlConfig(AppConfig):
    name = "etl"
    verbose_name = "ETL"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # etl → ai, never the other way: the business tables register themselves as vector sources.
        from ai.vectors.sources import VectorSource, register_vector_source
        from etl import text
        from etl.models import Commit, PullRequest, WorkItem
        from etl.selectors import sync_metrics
        from etl.services.sources import validate_source_integration
        from pulse.core.metrics import register_scrape_collector
        from pulse.core.services import register_integration_validator

        register_integration_validator(validate_source_integration)
        register_scrape_collector(sync_metrics)

        register_vector_source(
            VectorSource(
                "work_items",
                WorkItem,
                text.work_item_text,
                text.work_item_fields,
                priority=10,
                filterable=("project", "status", "item_type", "author", "labels"),
                select_related=("project",),
                prefetch_related=("comments",),
            )
        )
        register_vector_source(
            VectorSource(
                "pull_requests",
                PullRequest,
                text.pull_request_text,
                text.pull_request_fields,
                priority=10,
                filterable=("repository", "status", "author", "labels"),
                select_related=("repository",),
                prefetch_related=("comments", "reviews"),
            )
        )
        register_vector_source(
            VectorSource(
                "commits",
                Commit,
                text.commit_text,
                text.commit_fields,
                priority=8,
                filterable=("repository", "author"),
                select_related=("repository",),
            )
        )
