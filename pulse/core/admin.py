"""Admin for the core domain. Secrets show masked; a write-only field replaces them.

Platform superusers see every tenant; a staff user attached to a tenant sees only that tenant.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django.db import models

from pulse.core import services, tenants
from pulse.core.crypto import mask_credentials
from pulse.core.destinations import check_secret_destination, integration_destination
from pulse.core.jsonlimits import MAX_VALUE_CHARS, BoundedJSONFormField, text_depth
from pulse.core.models import ApiToken, Client, Integration, User


class TenantScopedAdmin(admin.ModelAdmin):
    """Limits rows and foreign-key choices to the staff user's tenant unless they are a superuser."""

    tenant_field = "client"
    formfield_overrides = {models.JSONField: {"form_class": BoundedJSONFormField}}

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(**{self.tenant_field: request.user.client_id}) if request.user.client_id else qs.none()

    def get_list_filter(self, request):
        # Django's related-field filter lists every Client row whatever the queryset: tenant staff
        # would read every tenant's name in it, so they never get it.
        filters = super().get_list_filter(request)
        if request.user.is_superuser:
            return filters
        return tuple(f for f in filters if (f[0] if isinstance(f, tuple | list) else f) != self.tenant_field)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            if db_field.name == "client":
                kwargs["queryset"] = Client.objects.filter(pk=request.user.client_id)
            elif db_field.related_model is not None and hasattr(db_field.related_model, "client"):
                kwargs["queryset"] = db_field.related_model._default_manager.filter(client=request.user.client_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class TenantAddForm(forms.ModelForm):
    """A new tenant comes with its first admin (pulse.core.tenants.tenant_create)."""

    admin_username = forms.CharField(label="First admin's username", max_length=150)
    admin_email = forms.EmailField(label="First admin's e-mail", required=False)
    admin_password = forms.CharField(
        label="First admin's password",
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Blank: a password is generated and shown once, after saving.",
    )

    class Meta:
        model = Client
        fields = ("name", "slug")

    def _post_clean(self):
        # The tenant and its admin are made together by the service (see save_model), not by the form;
        # the service's checks run here so a problem shows under its field.
        data = self.cleaned_data
        username = (data.get("admin_username") or "").strip()
        problems = tenants.tenant_problems(name=(data.get("name") or "").strip(), slug=data.get("slug") or "")
        user = tenants.user_problems(username=username, role="admin", email=data.get("admin_email") or "")
        problems |= {f"admin_{key}": message for key, message in user.items() if key != "role"}
        password = data.get("admin_password")
        if password and (problem := tenants.password_problem(password=password, username=username)):
            problems["admin_password"] = problem
        for field, message in problems.items():
            if field in self.fields:
                self.add_error(field, message)


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    actions = ("deactivate", "activate")

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(pk=request.user.client_id)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = TenantAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "slug", "admin_username", "admin_email", "admin_password")
        return super().get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        client, user, password = tenants.tenant_create(
            name=data["name"],
            slug=data["slug"],
            admin_username=data["admin_username"],
            admin_email=data.get("admin_email", ""),
            password=data.get("admin_password") or None,
        )
        obj.pk = client.pk
        obj.refresh_from_db()
        shown = "the password you set" if data.get("admin_password") else password
        messages.success(request, f"Tenant {client.slug} created. First admin: {user.username} / {shown}")

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    @admin.action(description="Deactivate the selected tenants (their users and tokens reach nothing)")
    def deactivate(self, request, queryset):
        for client in queryset:
            tenants.tenant_set_active(client=client, active=False)

    @admin.action(description="Activate the selected tenants")
    def activate(self, request, queryset):
        for client in queryset:
            tenants.tenant_set_active(client=client, active=True)


# Only a platform superuser may change these, on any account (their own included).
PLATFORM_FIELDS = ("is_superuser", "is_staff", "groups", "user_permissions", "client")


@admin.register(User)
class PulseUserAdmin(TenantScopedAdmin, UserAdmin):
    """Tenant staff manage their tenant's people, never privileges: the platform fields are
    read-only for them (left out of the form, so a forged POST value is ignored), superusers are
    out of their reach, and a user they add joins their tenant."""

    list_display = ("username", "email", "client", "role", "is_staff", "is_active")
    list_filter = ("client", "role", "is_staff", "is_active")
    search_fields = ("username", "email", "first_name", "last_name")
    fieldsets = (*UserAdmin.fieldsets, ("Tenant", {"fields": ("client", "role")}))
    add_fieldsets = (*UserAdmin.add_fieldsets, ("Tenant", {"fields": ("client", "role")}))

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(is_superuser=False)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        hidden = {"is_superuser", "user_permissions"} if obj else {"client"}
        return [
            (name, {**opts, "fields": tuple(f for f in opts["fields"] if f not in hidden)}) for name, opts in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return readonly if request.user.is_superuser else (*readonly, *PLATFORM_FIELDS)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser and not change:
            obj.client_id = request.user.client_id
        super().save_model(request, obj, form, change)


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
        if text_depth(raw) > 1 or len(raw) > MAX_VALUE_CHARS:
            raise forms.ValidationError("Must be one flat JSON object of names to string values.")
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._destination = integration_destination(self.instance) if self.instance.pk else None

    def _post_clean(self):
        super()._post_clean()
        if self._destination is not None:
            supplied = (self.cleaned_data.get("replace_credentials") or {}).keys()
            try:
                check_secret_destination(before=self._destination, integration=self.instance, supplied=supplied)
            except ValidationError as exc:
                names = ", ".join(exc.message_dict)
                self.add_error("replace_credentials", f"The address changed: enter {names} again here.")
        try:
            services.integration_run_validators(self.instance)
        except ValidationError as exc:
            # A rule may name a setting inside a JSON column (e.g. `deployment`): show it above the form.
            for key, messages in exc.message_dict.items():
                if key in self.fields:
                    self.add_error(key, messages)
                else:
                    self.add_error(None, [f"{key}: {message}" for message in messages])

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
