"""Admin for the core domain. Secrets show masked; a write-only field replaces them.

Platform superusers see every tenant; a staff user attached to a tenant sees only that tenant.
"""

import json

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError

from pulse.core import services
from pulse.core.crypto import mask_credentials
from pulse.core.models import ApiToken, Client, Integration, User


class TenantScopedAdmin(admin.ModelAdmin):
    """Limits rows and foreign-key choices to the staff user's tenant unless they are a superuser."""

    tenant_field = "client"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(**{self.tenant_field: request.user.client_id}) if request.user.client_id else qs.none()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            if db_field.name == "client":
                kwargs["queryset"] = Client.objects.filter(pk=request.user.client_id)
            elif db_field.related_model is not None and hasattr(db_field.related_model, "client"):
                kwargs["queryset"] = db_field.related_model._default_manager.filter(client=request.user.client_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(pk=request.user.client_id)

    def has_add_permission(self, request):
        return request.user.is_superuser


@admin.register(User)
class PulseUserAdmin(TenantScopedAdmin, UserAdmin):
    list_display = ("username", "email", "client", "role", "is_staff", "is_active")
    list_filter = ("client", "role", "is_staff", "is_active")
    search_fields = ("username", "email", "first_name", "last_name")
    fieldsets = (*UserAdmin.fieldsets, ("Tenant", {"fields": ("client", "role")}))
    add_fieldsets = (*UserAdmin.add_fieldsets, ("Tenant", {"fields": ("client", "role")}))


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "prefix", "created_at", "last_used_at")
    search_fields = ("user__username", "name", "prefix")
    readonly_fields = ("user", "name", "prefix", "created_at", "last_used_at")
    exclude = ("digest",)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(user__client=request.user.client_id)

    def has_add_permission(self, request):
        # Tokens are created with `manage.py api_token` or the API, which show the token once.
        return False


class IntegrationAdminForm(forms.ModelForm):
    replace_credentials = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text='Write-only. A JSON object such as {"api_key": "..."} replaces the stored secrets; '
        "leave empty to keep them.",
    )

    class Meta:
        model = Integration
        fields = ("client", *services.EDITABLE_FIELDS)

    def clean_replace_credentials(self):
        raw = self.cleaned_data["replace_credentials"].strip()
        if not raw:
            return None
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc.msg}.") from None
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise forms.ValidationError("Must be a JSON object of names to string values.")
        return value

    def clean(self):
        cleaned = super().clean()
        client = cleaned.get("client")
        if client is not None:
            services.integration_validate_fallback(
                client=client, integration_id=self.instance.pk, fallback=cleaned.get("fallback_integration")
            )
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        try:
            services.integration_run_validators(self.instance)
        except ValidationError as exc:
            self.add_error(None, exc)

    def save(self, commit=True):
        if self.cleaned_data.get("replace_credentials") is not None:
            self.instance.credentials = self.cleaned_data["replace_credentials"]
        return super().save(commit=commit)


@admin.register(Integration)
class IntegrationAdmin(TenantScopedAdmin):
    form = IntegrationAdminForm
    list_display = (
        "integration_name",
        "client",
        "integration_type",
        "integration_subtype",
        "active",
        "last_updated_at",
    )
    list_filter = ("integration_type", "integration_subtype", "active", "client")
    search_fields = ("integration_name", "base_url")
    readonly_fields = ("masked_credentials", "created_at", "last_updated_at")
    autocomplete_fields = ()

    @admin.display(description="Stored credentials")
    def masked_credentials(self, obj: Integration) -> str:
        masked = mask_credentials(obj.credentials) if obj.pk else {}
        return ", ".join(f"{k}: {v}" for k, v in masked.items()) or "—"
