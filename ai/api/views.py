"""Thin views of `/api/v1/ai/`. The tenant is always `request.user.client`."""

from dataclasses import asdict

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from ai.api import serializers as s
from ai.execution.calls import execute_embedding
from ai.execution.selectors import provider_get, provider_list
from ai.execution.usage import usage_summary
from ai.providers.catalog import catalog_models
from ai.setup import providers
from ai.setup.pipeline import ai_config_export, ai_config_import
from pulse.core.api.views import TenantAPIMixin
from pulse.core.services import integration_delete


def validated(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class ModelsAvailableView(APIView):
    @extend_schema(parameters=[s.ModelsQuerySerializer], responses=s.ModelInfoSerializer(many=True))
    def get(self, request):
        query = validated(s.ModelsQuerySerializer, request.query_params)
        models = catalog_models(capability=query.get("capability"), provider=query.get("provider"))
        return Response(s.ModelInfoSerializer([asdict(m) for m in models], many=True).data)


class ProviderListView(TenantAPIMixin, APIView):
    @extend_schema(responses=s.ProviderOutputSerializer(many=True))
    def get(self, request):
        return Response(s.ProviderOutputSerializer(provider_list(client=self.client), many=True).data)

    @extend_schema(request=s.ProviderInputSerializer, responses={201: s.ProviderOutputSerializer})
    def post(self, request):
        data = validated(s.ProviderInputSerializer, request.data, context={"client": self.client})
        provider = providers.provider_create(client=self.client, data=data)
        return Response(s.ProviderOutputSerializer(provider).data, status=status.HTTP_201_CREATED)


class ProviderDetailView(TenantAPIMixin, APIView):
    @extend_schema(responses=s.ProviderOutputSerializer)
    def get(self, request, provider_id: int):
        provider = provider_get(client=self.client, provider_id=provider_id)
        return Response(s.ProviderOutputSerializer(provider).data)

    @extend_schema(request=s.ProviderInputSerializer, responses=s.ProviderOutputSerializer)
    def patch(self, request, provider_id: int):
        provider = provider_get(client=self.client, provider_id=provider_id)
        data = validated(s.ProviderInputSerializer, request.data, partial=True, context={"client": self.client})
        provider = providers.provider_update(integration=provider, data=data)
        return Response(s.ProviderOutputSerializer(provider).data)

    @extend_schema(responses={204: None})
    def delete(self, request, provider_id: int):
        integration_delete(integration=provider_get(client=self.client, provider_id=provider_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProviderTestView(TenantAPIMixin, APIView):
    """Test a saved provider; fields in the body test unsaved edits over it (nothing is saved)."""

    @extend_schema(request=s.ProviderInputSerializer, responses=s.ProviderTestOutputSerializer)
    def post(self, request, provider_id: int):
        saved = provider_get(client=self.client, provider_id=provider_id)
        edits = validated(s.ProviderInputSerializer, request.data, partial=True, context={"client": self.client})
        target = providers.provider_draft(client=self.client, data=edits, base=saved) if edits else saved
        result = providers.provider_test(client=self.client, integration=target)
        return Response(s.ProviderTestOutputSerializer(result).data)


class ProviderDraftTestView(TenantAPIMixin, APIView):
    """Test a provider before saving it (like Dify's test-before-save)."""

    @extend_schema(
        operation_id="ai_providers_test_draft",
        request=s.ProviderInputSerializer,
        responses=s.ProviderTestOutputSerializer,
    )
    def post(self, request):
        data = validated(s.ProviderInputSerializer, request.data, context={"client": self.client})
        draft = providers.provider_draft(client=self.client, data=data)
        return Response(
            s.ProviderTestOutputSerializer(providers.provider_test(client=self.client, integration=draft)).data
        )


class EmbeddingsView(TenantAPIMixin, APIView):
    members_may_write = True  # computing an embedding changes no setting

    @extend_schema(request=s.EmbeddingsInputSerializer, responses=s.EmbeddingsOutputSerializer)
    def post(self, request):
        data = validated(s.EmbeddingsInputSerializer, request.data, context={"client": self.client})
        outcome = execute_embedding(
            client=self.client,
            texts=data["texts"],
            integration=data.get("provider_id"),
            max_seconds=settings.AI_REQUEST_MAX_SECONDS,
        )
        return Response(
            s.EmbeddingsOutputSerializer(
                {
                    "vectors": outcome.vectors,
                    "dimensions": outcome.dimensions,
                    "model": outcome.model,
                    "provider": outcome.integration.provider,
                    "provider_id": outcome.integration.pk,
                    "attempts": outcome.attempts,
                    "errors": outcome.errors,
                }
            ).data
        )


class UsageSummaryView(TenantAPIMixin, APIView):
    @extend_schema(parameters=[s.UsageQuerySerializer], responses=s.UsageSummarySerializer)
    def get(self, request):
        query = validated(s.UsageQuerySerializer, request.query_params)
        return Response(s.UsageSummarySerializer(usage_summary(client=self.client, range_key=query["range"])).data)


class GatewayKeyInfoView(TenantAPIMixin, APIView):
    @extend_schema(parameters=[s.KeyInfoQuerySerializer], responses=s.KeyInfoSerializer)
    def get(self, request):
        query = validated(s.KeyInfoQuerySerializer, request.query_params)
        gateways = provider_list(client=self.client).filter(configuration__provider="custom_gateway")
        if query.get("provider_id"):
            gateways = gateways.filter(pk=query["provider_id"])
        gateway = gateways.first()
        if gateway is None:
            raise ValidationError({"provider_id": "No custom gateway provider is configured."})
        info = providers.gateway_key_info(integration=gateway)
        return Response(s.KeyInfoSerializer({"provider_id": gateway.pk, **asdict(info)}).data)


class ConfigExportView(TenantAPIMixin, APIView):
    """The tenant's AI setup as YAML; secrets are named, never included."""

    @extend_schema(responses={(200, "application/yaml"): s.ConfigDocumentSerializer})
    def get(self, request):
        return HttpResponse(ai_config_export(client=self.client), content_type="application/yaml; charset=utf-8")


class ConfigImportView(TenantAPIMixin, APIView):
    """Apply a YAML setup (validated as a whole; nothing changes if any part is invalid)."""

    @extend_schema(request=s.ConfigImportSerializer, responses=s.ImportReportSerializer)
    def post(self, request):
        data = validated(s.ConfigImportSerializer, request.data)
        report = ai_config_import(client=self.client, text=data["yaml"])
        return Response(s.ImportReportSerializer(asdict(report)).data)
