"""What was asked and answered (history, feedback), and the answer cache."""

from django.conf import settings
from django.db import models

from pulse.core.tenancy import TenantOwnedModel


class QAInteraction(TenantOwnedModel):
    """One question and its answer, as shown, for the history page and feedback."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    question = models.TextField()
    response = models.JSONField(default=dict, help_text="The answer as the API returned it")
    mode = models.CharField(max_length=20)
    cached = models.BooleanField(default=False)
    latency_ms = models.PositiveIntegerField(default=0)
    tokens = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=8, null=True, blank=True)
    helpful = models.BooleanField(null=True, blank=True, help_text="The asker's thumbs up or down")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "analytics"
        db_table = "analytics_qa_interactions"
        indexes = [models.Index(fields=["client", "user", "created_at"], name="idx_qa_history")]

    def __str__(self) -> str:
        return self.question[:80]


class QACacheEntry(TenantOwnedModel):
    """An answer reusable for the same question (exact key) or a close paraphrase (embedding),
    for the same data version and the same answering settings only."""

    key = models.CharField(max_length=64, help_text="sha256 of normalised question, context, settings, data")
    scope = models.CharField(max_length=64, help_text="sha256 of context, settings and data version")
    question = models.TextField()
    embedding = models.BinaryField(null=True, help_text="little-endian float32, normalised")
    embedding_model = models.CharField(max_length=200, blank=True, default="")
    response = models.JSONField(default=dict)
    hits = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "analytics"
        db_table = "analytics_qa_cache"
        verbose_name_plural = "QA cache entries"
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="uniq_qa_cache_key")]
        indexes = [models.Index(fields=["client", "scope"], name="idx_qa_cache_scope")]
