"""AI configuration, the usage ledger and the vector bridge table (names from the design notes)."""

from django.db import models
from django.utils import timezone

from pulse.core.tenancy import TenantOwnedModel, TenantQuerySet


class VectorField(models.Field):
    """`vector` (any dimensions) on PostgreSQL; text elsewhere, where the pgvector store is unavailable.
    Only the schema uses it: the pgvector store reads and writes the column with SQL."""

    description = "pgvector vector"

    def db_type(self, connection) -> str:
        return "vector" if connection.vendor == "postgresql" else "text"


class ClientAIConfigurationQuerySet(TenantQuerySet):
    def configuration_of(self, category: str) -> dict:
        """The configuration dict of one category ({} when the tenant has none)."""
        row = self.filter(config_category=category).values_list("configuration", flat=True).first()
        return row or {}


class ClientAIPreferences(TenantOwnedModel):
    """Per-tenant preferences such as agent configuration and dashboard AI toggles."""

    preference_type = models.CharField(max_length=50)  # 'agent_config', 'dashboard_ai', 'embedding_config'
    configuration = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "client_ai_preferences"
        verbose_name = "client AI preference"
        verbose_name_plural = "client AI preferences"
        constraints = [
            models.UniqueConstraint(fields=["client", "preference_type"], name="uniq_ai_preference_per_client"),
        ]
        indexes = [
            models.Index(fields=["client"], name="idx_ai_prefs_client"),
            models.Index(fields=["preference_type"], name="idx_ai_prefs_type"),
        ]

    def __str__(self) -> str:
        return f"{self.client} / {self.preference_type}"


class ClientAIConfiguration(TenantOwnedModel):
    """Per-tenant AI policy: which models serve what, policies, cost limits, feature switches."""

    class Category(models.TextChoices):
        MODELS = "models", "Models"
        POLICIES = "policies", "Policies"
        COST_LIMITS = "cost_limits", "Cost limits"
        FEATURES = "features", "Features"

    config_category = models.CharField(max_length=50, choices=Category.choices)
    configuration = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_updated_at = models.DateTimeField(auto_now=True)

    objects = ClientAIConfigurationQuerySet.as_manager()

    class Meta:
        db_table = "client_ai_configuration"
        verbose_name = "client AI configuration"
        verbose_name_plural = "client AI configuration"
        constraints = [
            models.UniqueConstraint(fields=["client", "config_category"], name="uniq_ai_config_category_per_client"),
        ]
        indexes = [
            models.Index(fields=["client"], name="idx_client_ai_config_client"),
            models.Index(fields=["config_category"], name="idx_client_ai_config_category"),
        ]

    def __str__(self) -> str:
        return f"{self.client} / {self.config_category}"


class AIUsageTracking(TenantOwnedModel):
    """The usage ledger: one row per provider call, successful or not.

    `cost` is NULL when the model's price is unknown (and `cost_unpriced` is set): an unknown
    price is never recorded as $0. Local models are genuinely free and record 0.
    """

    class Operation(models.TextChoices):
        EMBEDDING = "embedding", "Embedding"
        TEXT_GENERATION = "text_generation", "Text generation"
        ANALYSIS = "analysis", "Analysis"

    integration = models.ForeignKey(
        "core.Integration", null=True, blank=True, on_delete=models.SET_NULL, related_name="usage_records"
    )
    provider = models.CharField(max_length=50)
    operation = models.CharField(max_length=50, choices=Operation.choices)
    model_name = models.CharField(max_length=200, blank=True, default="")
    input_count = models.PositiveIntegerField(default=0)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    total_tokens = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=8, null=True, blank=True)
    cost_unpriced = models.BooleanField(default=False)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    success = models.BooleanField(default=True)
    error_class = models.CharField(max_length=100, blank=True, default="")
    request_metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)

    class Meta:
        db_table = "ai_usage_tracking"
        verbose_name = "AI usage record"
        indexes = [
            models.Index(fields=["client", "created_at"], name="idx_ai_usage_client_created"),
            models.Index(fields=["provider"], name="idx_ai_usage_provider"),
            models.Index(fields=["operation"], name="idx_ai_usage_operation"),
            models.Index(fields=["created_at"], name="idx_ai_usage_created_at"),
            models.Index(fields=["cost"], name="idx_ai_usage_cost"),
            models.Index(fields=["total_tokens"], name="idx_ai_usage_tokens"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}/{self.operation} {self.created_at:%Y-%m-%d %H:%M}"


class VectorBridge(TenantOwnedModel):
    """The bridge between a business row and its vector in the store (Qdrant or pgvector): one row
    per (tenant, table, record, vector type), written in the same service call as the point. The
    table keeps the design notes' name, `qdrant_vectors`."""

    table_name = models.CharField(max_length=100)
    record_id = models.BigIntegerField()
    collection = models.CharField(max_length=200)
    point_id = models.UUIDField()
    vector_type = models.CharField(max_length=50, default="content")
    embedding_model = models.CharField(max_length=200)
    embedding_provider = models.CharField(max_length=50)
    dimensions = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "qdrant_vectors"
        verbose_name = "vector bridge row"
        constraints = [
            models.UniqueConstraint(
                fields=["client", "table_name", "record_id", "vector_type"], name="uniq_vector_per_record"
            ),
        ]
        indexes = [
            models.Index(fields=["client", "table_name"], name="idx_qdrant_vectors_table"),
            models.Index(fields=["collection", "point_id"], name="idx_qdrant_vectors_point"),
        ]

    def __str__(self) -> str:
        return f"{self.table_name}#{self.record_id} ({self.vector_type})"


class EmbeddingCache(TenantOwnedModel):
    """Vectors by (model, content hash), so unchanged or repeated text is never embedded twice.

    `vector` holds little-endian float32 values.
    """

    model_key = models.CharField(max_length=200)
    content_hash = models.CharField(max_length=64)
    dimensions = models.PositiveIntegerField()
    vector = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "ai_embedding_cache"
        constraints = [
            models.UniqueConstraint(fields=["client", "model_key", "content_hash"], name="uniq_embedding_cache_entry"),
        ]


class BackfillJob(TenantOwnedModel):
    """A resumable backfill: what it covers, how far it got, and what failed.

    Progress is committed after every batch, so a killed worker's job continues where it left off.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Finished with failures"
        CANCELLED = "cancelled", "Cancelled"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    tables = models.JSONField(default=list, blank=True, help_text="Planned tables in order, with sizes")
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    current_table = models.CharField(max_length=100, blank=True, default="")
    current_batch = models.PositiveIntegerField(default=0)
    cursor = models.JSONField(default=dict, blank=True, help_text="Last committed record id per table")
    provider = models.CharField(max_length=200, blank=True, default="")
    last_errors = models.JSONField(default=list, blank=True)
    cancel_requested = models.BooleanField(default=False)
    worker = models.CharField(max_length=200, blank=True, default="")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "ai_backfill_jobs"
        indexes = [models.Index(fields=["client", "status"], name="idx_backfill_client_status")]

    def __str__(self) -> str:
        return f"backfill #{self.pk} ({self.status})"

    @property
    def active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> float:
        """How far the job is: 100 once it succeeded; a job with nothing to check is done when it ends."""
        if self.status == self.Status.SUCCEEDED or (not self.total and not self.active):
            return 100.0
        if not self.total:
            return 0.0
        return round(100 * min(self.processed, self.total) / self.total, 1)

    @property
    def eta_seconds(self) -> float | None:
        if self.status != self.Status.RUNNING or not self.started_at or not self.processed or not self.total:
            return None
        elapsed = (timezone.now() - self.started_at).total_seconds()
        return max(elapsed / self.processed * (self.total - self.processed), 0.0)


class PgVectorEmbedding(TenantOwnedModel):
    """The pgvector store's rows (used when VECTOR_STORE=pgvector). The store reads and writes it
    with SQL; each collection has a partial HNSW index created by the store on first use."""

    point_id = models.UUIDField(primary_key=True)
    collection = models.CharField(max_length=200)
    table_name = models.CharField(max_length=100)
    record_id = models.BigIntegerField()
    vector_type = models.CharField(max_length=50)
    embedding = VectorField()
    payload = models.JSONField(default=dict)

    class Meta:
        db_table = "pgvector_embeddings"
        indexes = [models.Index(fields=["collection", "client"], name="idx_pgvector_collection")]


class SearchDocument(TenantOwnedModel):
    """The text a vector was made from, for keyword and hybrid search. Written with the bridge row.
    On PostgreSQL a migration adds a stored, generated `tsv` column (english tsvector, the subject
    line's terms weighted A) with a GIN index, and triggers keep its inverted index
    `ai_search_postings` (one row per document and lexeme) current; the ORM reads neither, keyword
    search queries them with SQL (`ai.vectors.postings`). `terms` is the text's code-aware keyword
    text (`ai.vectors.terms`): the tsvector is made from it, and on SQLite an FTS5 table
    (`ai_search_fts`, kept current by triggers) indexes it."""

    table_name = models.CharField(max_length=100)
    record_id = models.BigIntegerField()
    vector_type = models.CharField(max_length=50, default="content")
    text = models.TextField()
    terms = models.TextField(default="", blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "ai_search_documents"
        constraints = [
            models.UniqueConstraint(
                fields=["client", "table_name", "record_id", "vector_type"], name="uniq_search_document"
            )
        ]

    def __str__(self) -> str:
        return f"{self.table_name}#{self.record_id}"
