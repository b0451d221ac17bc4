"""Thin views over the core services. The tenant is always `request.user.client`."""

from django.contrib.auth import authenticate
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from pulse.core import selectors, services
from pulse.core.api.serializers import IntegrationInputSerializer, IntegrationOutputSerializer
from pulse.core.api_tokens import api_token_create, api_token_get, api_token_list, api_token_revoke
from pulse.core.models import Integration
from pulse.core.net import LOCKED_OUT, lockout_seconds
from pulse.core.queue import task_result_owned, task_send_owned


class TenantAPIMixin:
    """Gives a view `self.client`, taken from the authenticated user and nothing else."""

    @property
    def client(self):
        return self.request.user.client


class IntegrationViewSet(TenantAPIMixin, viewsets.ViewSet):
    """CRUD of the caller's integrations. Credentials are write-only; responses show them masked."""

    serializer_class = IntegrationOutputSerializer
    # Only tells the schema generator the id type; every query goes through the selectors.
    queryset = Integration.objects.none()

    def _input(self, request, *, partial: bool) -> dict:
        serializer = IntegrationInputSerializer(data=request.data, partial=partial, context={"client": self.client})
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    @extend_schema(responses=IntegrationOutputSerializer(many=True))
    def list(self, request):
        qs = selectors.integration_list(client=self.client, integration_type=request.query_params.get("type"))
        return Response(IntegrationOutputSerializer(qs, many=True).data)

    @extend_schema(request=IntegrationInputSerializer, responses={201: IntegrationOutputSerializer})
    def create(self, request):
        integration = services.integration_create(client=self.client, **self._input(request, partial=False))
        return Response(IntegrationOutputSerializer(integration).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, pk=None):
        integration = selectors.integration_get(client=self.client, integration_id=pk)
        return Response(IntegrationOutputSerializer(integration).data)

    @extend_schema(request=IntegrationInputSerializer, responses=IntegrationOutputSerializer)
    def update(self, request, pk=None):
        integration = selectors.integration_get(client=self.client, integration_id=pk)
        data = self._input(request, partial=False)
        integration = services.integration_update(integration=integration, replace_credentials=True, **data)
        return Response(IntegrationOutputSerializer(integration).data)

    @extend_schema(request=IntegrationInputSerializer, responses=IntegrationOutputSerializer)
    def partial_update(self, request, pk=None):
        integration = selectors.integration_get(client=self.client, integration_id=pk)
        integration = services.integration_update(integration=integration, **self._input(request, partial=True))
        return Response(IntegrationOutputSerializer(integration).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        integration = selectors.integration_get(client=self.client, integration_id=pk)
        services.integration_delete(integration=integration)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenObtainView(APIView):
    """Exchange a username and password for a new API token (shown once)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField()
        password = serializers.CharField(style={"input_type": "password"}, write_only=True)
        name = serializers.CharField(
            required=False,
            default="api",
            max_length=100,
            help_text="A token of a name you already have replaces it (the old one stops working).",
        )

    @extend_schema(
        request=InputSerializer,
        responses={201: inline_serializer("TokenOutput", {"token": serializers.CharField()})},
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request, username=data.validated_data["username"], password=data.validated_data["password"])
        if getattr(request, "axes_locked_out", False):  # django-axes marks the DRF request it was given
            return Response(
                {"detail": LOCKED_OUT, "error": "LockedOut"},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(lockout_seconds())},
            )
        if user is None:
            return Response({"detail": "Wrong username or password."}, status=status.HTTP_400_BAD_REQUEST)
        _, token = api_token_create(user=user, name=data.validated_data["name"])
        return Response({"token": token}, status=status.HTTP_201_CREATED)


class TokenSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The token's first characters; the token itself is never shown again.")
    user = serializers.CharField(source="user.username")
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)


class TokenListView(APIView):
    """Your API tokens (a tenant admin: every token of the tenant's users)."""

    members_may_write = True  # a member manages their own tokens

    @extend_schema(responses=TokenSerializer(many=True))
    def get(self, request):
        return Response(TokenSerializer(api_token_list(user=request.user), many=True).data)


class TokenDetailView(APIView):
    members_may_write = True

    @extend_schema(responses={204: None})
    def delete(self, request, token_id: int):
        """Revoke a token: yours, or, for a tenant admin, any of the tenant's."""
        api_token_revoke(token=api_token_get(user=request.user, token_id=token_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


PING_KIND = "worker_ping"


class WorkerPingView(APIView):
    """Send a no-op task to the Celery worker; poll its status with the returned id."""

    members_may_write = True

    @extend_schema(
        request=None, responses={202: inline_serializer("WorkerPingSent", {"task_id": serializers.CharField()})}
    )
    def post(self, request):
        task_id = task_send_owned(
            client=request.user.client,
            kind=PING_KIND,
            task_name="pulse.core.worker_ping_task",
            args=(timezone.now().isoformat(),),
        )
        return Response({"task_id": task_id}, status=status.HTTP_202_ACCEPTED)


class WorkerPingStatusView(APIView):
    @extend_schema(
        responses=inline_serializer(
            "WorkerPingStatus", {"state": serializers.CharField(), "result": serializers.DictField(allow_null=True)}
        )
    )
    def get(self, request, task_id: str):
        result = task_result_owned(client=request.user.client, kind=PING_KIND, task_id=task_id)
        payload = result.result if result.successful() else None
        return Response({"state": result.state, "result": payload})
