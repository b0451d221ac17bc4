from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pulse.core.crypto import mask_credentials
from pulse.core.models import Integration


@extend_schema_field(OpenApiTypes.INT)
class TenantIntegrationField(serializers.PrimaryKeyRelatedField):
    """An integration id resolved inside the caller's tenant only."""

    default_error_messages = {"does_not_exist": "Integration {pk_value} does not exist in your tenant."}

    def get_queryset(self):
        return Integration.objects.for_client(self.context["client"])


class IntegrationInputSerializer(serializers.Serializer):
    integration_type = serializers.ChoiceField(choices=Integration.Type.choices)
    integration_subtype = serializers.ChoiceField(choices=Integration.Subtype.choices, required=False, allow_blank=True)
    integration_name = serializers.CharField(max_length=100)
    base_url = serializers.CharField(required=False, allow_blank=True)
    credentials = serializers.DictField(
        child=serializers.CharField(allow_null=True, trim_whitespace=False),
        required=False,
        write_only=True,
        help_text="Secrets (API keys, tokens). Write-only: responses show them masked. "
        "On PATCH, keys merge and a null value removes a key; PUT replaces the set.",
    )
    configuration = serializers.JSONField(required=False)
    model_config = serializers.JSONField(required=False)
    performance_config = serializers.JSONField(required=False)
    fallback_integration = TenantIntegrationField(required=False, allow_null=True)
    active = serializers.BooleanField(required=False)


class IntegrationOutputSerializer(serializers.ModelSerializer):
    credentials = serializers.SerializerMethodField(help_text="Masked secrets; never the values.")

    class Meta:
        model = Integration
        fields = [
            "id",
            "integration_type",
            "integration_subtype",
            "integration_name",
            "base_url",
            "credentials",
            "configuration",
            "model_config",
            "performance_config",
            "fallback_integration",
            "active",
            "created_at",
            "last_updated_at",
        ]

    def get_credentials(self, obj: Integration) -> dict[str, str]:
        return mask_credentials(obj.credentials)
