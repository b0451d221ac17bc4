from django.contrib import admin

from ai.models import AIUsageTracking, ClientAIConfiguration, ClientAIPreferences, VectorBridge
from pulse.core.admin import TenantScopedAdmin


@admin.register(ClientAIPreferences)
class ClientAIPreferencesAdmin(TenantScopedAdmin):
    list_display = ("client", "preference_type", "last_updated_at")
    list_filter = ("preference_type", "client")
    search_fields = ("preference_type", "client__name")


@admin.register(ClientAIConfiguration)
class ClientAIConfigurationAdmin(TenantScopedAdmin):
    list_display = ("client", "config_category", "last_updated_at")
    list_filter = ("config_category", "client")
    search_fields = ("config_category", "client__name")


@admin.register(AIUsageTracking)
class AIUsageTrackingAdmin(TenantScopedAdmin):
    """The ledger is append-only: the admin reads it, never edits it."""

    list_display = (
        "created_at",
        "client",
        "provider",
        "operation",
        "model_name",
        "total_tokens",
        "cost",
        "cost_unpriced",
        "latency_ms",
        "success",
    )
    list_filter = ("provider", "operation", "success", "cost_unpriced", "client")
    search_fields = ("model_name", "provider", "error_class")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(VectorBridge)
class QdrantVectorAdmin(TenantScopedAdmin):
    list_display = ("client", "table_name", "record_id", "vector_type", "embedding_model", "dimensions", "updated_at")
    list_filter = ("table_name", "vector_type", "embedding_provider", "client")
    search_fields = ("table_name", "record_id", "content_hash", "collection")

    def has_add_permission(self, request):
        return False
