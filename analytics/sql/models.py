"""A tenant's own question/SQL pairs (the shipped ones live in `analytics.sql.curated`)."""

from django.conf import settings
from django.db import models

from pulse.core.tenancy import TenantOwnedModel


class SQLPair(TenantOwnedModel):
    """A question and the SQL that answers it, reused without a model for close questions. The SQL
    may name the parameters :since, :repository and :person, bound from the asked question."""

    class Source(models.TextChoices):
        ADMIN = "admin", "Added by an admin"
        ANSWER = "answer", "Saved from a helpful answer"

    question = models.TextField()
    sql = models.TextField(help_text="One query over the v_* views, in this database's dialect")
    dialect = models.CharField(max_length=20, help_text="postgres or sqlite")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ADMIN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "analytics"
        db_table = "analytics_sql_pairs"
        verbose_name = "SQL pair"
        constraints = [models.UniqueConstraint(fields=["client", "question"], name="uniq_sql_pair_question")]

    def __str__(self) -> str:
        return self.question[:80]
