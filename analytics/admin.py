from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from analytics.models import DeliveryComputation, DeliverySettings, Deployment, Insight
from analytics.sql.models import SQLPair
from analytics.sql.services import sql_pair_check
from pulse.core.admin import TenantScopedAdmin


@admin.register(DeliverySettings)
class DeliverySettingsAdmin(TenantScopedAdmin):
    list_display = ("repository", "deployment_source", "patch_failure_days", "updated_at", "client")
    list_filter = ("deployment_source", "client")
    raw_id_fields = ("repository",)


@admin.register(Deployment)
class DeploymentAdmin(TenantScopedAdmin):
    """Computed rows: read them here, change the data or the settings they come from."""

    list_display = ("repository", "name", "deployed_at", "commit_count", "failed", "restored_by", "client")
    list_filter = ("failed", "client")
    search_fields = ("name", "repository__full_name")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DeliveryComputation)
class DeliveryComputationAdmin(TenantScopedAdmin):
    list_display = ("client", "computed_at", "duration_ms", "counts")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Insight)
class InsightAdmin(TenantScopedAdmin):
    list_display = ("title", "kind", "priority", "confidence", "state", "window_end", "client")
    list_filter = ("kind", "priority", "state", "client")
    search_fields = ("title", "metric")
    readonly_fields = ("statistic", "data_points")


class SQLPairForm(forms.ModelForm):
    """A pair is checked like one added through the API: the guard, then the database, as its tenant."""

    class Meta:
        model = SQLPair
        fields = ("client", "question", "sql", "source")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("client") and cleaned.get("sql"):
            try:
                self.instance.dialect = sql_pair_check(client=cleaned["client"], sql=cleaned["sql"])
            except ValidationError as exc:
                self.add_error("sql", exc.message_dict["sql"])
        return cleaned


@admin.register(SQLPair)
class SQLPairAdmin(TenantScopedAdmin):
    form = SQLPairForm
    list_display = ("question", "source", "dialect", "created_at", "client")
    list_filter = ("source", "client")
    search_fields = ("question", "sql")
