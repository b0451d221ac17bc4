"""The core domain: tenants (clients), their users, and the integrations table."""

from django.contrib.auth.models import AbstractUser
from django.db import models

from pulse.core.fields import EncryptedJSONField
from pulse.core.tenancy import TenantOwnedModel


class Client(models.Model):
    """A tenant. Every tenant-owned row points here."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=64, unique=True)
    active = models.BooleanField(default=True, help_text="An inactive tenant's users and tokens reach nothing.")
    alert_webhook_url = models.TextField(
        blank=True, default="", help_text="Alerts are POSTed here as JSON when they open (optional)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "clients"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person. Belongs to one client with a role; platform superusers may have none."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.CASCADE, related_name="users")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        db_table = "users"

    @property
    def is_tenant_admin(self) -> bool:
        return self.client_id is not None and self.role == self.Role.ADMIN


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 digest is stored; the token is shown once at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, default="default")
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "api_tokens"
        ordering = ["user_id", "name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="uniq_api_token_name_per_user")]

    def __str__(self) -> str:
        return f"{self.user} / {self.name} ({self.prefix}…)"


class Integration(TenantOwnedModel):
    """A connection to an outside system: a data source (Jira, GitHub, git) or an AI provider."""

    class Type(models.TextChoices):
        JIRA = "jira", "Jira"
        GITHUB = "github", "GitHub"
        GIT = "git", "Local git repository"
        AI_MODEL = "ai_model", "AI model"

    class Subtype(models.TextChoices):
        EMBEDDING = "embedding", "Embedding"
        LLM = "llm", "LLM"
        GATEWAY = "gateway", "Gateway"
        DATA_SOURCE = "data_source", "Data source"

    integration_type = models.CharField(max_length=50, choices=Type.choices)
    integration_subtype = models.CharField(max_length=50, choices=Subtype.choices, blank=True, default="")
    integration_name = models.CharField(max_length=100)
    base_url = models.TextField(blank=True, default="")
    credentials = EncryptedJSONField(default=dict, blank=True)
    configuration = models.JSONField(default=dict, blank=True)
    model_config = models.JSONField(default=dict, blank=True)
    performance_config = models.JSONField(default=dict, blank=True)
    fallback_integration = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="fallback_for"
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "integrations"
        ordering = ["integration_name"]
        constraints = [
            models.UniqueConstraint(fields=["client", "integration_name"], name="uniq_integration_name_per_client"),
        ]
        indexes = [
            models.Index(fields=["integration_type", "integration_subtype"], name="idx_integrations_ai_type"),
            models.Index(fields=["client", "integration_type"], name="idx_integrations_client_ai"),
        ]

    def __str__(self) -> str:
        return f"{self.integration_name} ({self.integration_type})"

    @property
    def provider(self) -> str:
        """The provider key of an ai_model integration (e.g. 'openai', 'sentence_transformers')."""
        return str(self.configuration.get("provider", ""))


class TaskOwnership(TenantOwnedModel):
    """Which tenant sent a Celery task whose result can be read back, so results are served to that
    tenant only (Celery's result store knows no tenants)."""

    task_id = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=50)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "task_ownership"

    def __str__(self) -> str:
        return f"{self.kind} {self.task_id}"


class Alert(TenantOwnedModel):
    """Something an operator should look at: a provider failing repeatedly, a sync failing twice in
    a row, a stuck backfill, a budget nearly used. One row per (tenant, key): raising it again while
    it is open counts an occurrence; once resolved, raising it reopens it (and notifies again)."""

    class Kind(models.TextChoices):
        PROVIDER_FAILING = "provider_failing", "Provider failing"
        SYNC_FAILING = "sync_failing", "Sync failing"
        BACKFILL_STUCK = "backfill_stuck", "Backfill stuck"
        BUDGET = "budget", "Budget nearly used"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved"

    kind = models.CharField(max_length=30, choices=Kind.choices)
    key = models.CharField(max_length=200, help_text="What the alert is about, e.g. sync:12")
    title = models.CharField(max_length=300)
    detail = models.TextField(blank=True, default="")
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    occurrences = models.PositiveIntegerField(default=1)
    opened_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    notify_error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "alerts"
        ordering = ["-last_seen_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="uniq_alert_key_per_client")]
        indexes = [models.Index(fields=["client", "state"], name="idx_alerts_client_state")]

    def __str__(self) -> str:
        return self.title
