"""Data sources and their runs over the API: the hub's services behind thin views."""

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from etl import selectors
from etl.api import serializers as s
from etl.api.pagination import RecordCursorPagination
from etl.models import EtlRun
from etl.services.schedules import sync_schedule_get, sync_schedule_set
from etl.services.sources import (
    source_create,
    source_delete,
    source_fields,
    source_sync_enqueue,
    source_test,
    source_update,
)
from pulse.core.api.views import TenantAPIMixin


def validated(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _output(source) -> dict:
    """A source with its schedule, last run and last success, as SourceOutputSerializer reads it."""
    source.schedule = sync_schedule_get(integration=source)
    if not hasattr(source, "last_run"):
        source.last_run = selectors.run_list(client=source.client, integration=source, limit=1).first()
    source.last_success_at = selectors.source_last_success(source=source)
    return s.SourceOutputSerializer(source).data


class SourceListView(TenantAPIMixin, APIView):
    @extend_schema(responses=s.SourceOutputSerializer(many=True))
    def get(self, request):
        return Response([_output(source) for source in selectors.source_list(client=self.client)])

    @extend_schema(request=s.SourceInputSerializer, responses={201: s.SourceOutputSerializer})
    def post(self, request):
        data = validated(s.SourceInputSerializer, request.data)
        source = source_create(client=self.client, kind=data.pop("type"), data=data)
        return Response(_output(source), status=status.HTTP_201_CREATED)


class SourceDetailView(TenantAPIMixin, APIView):
    @extend_schema(responses=s.SourceOutputSerializer)
    def get(self, request, source_id: int):
        return Response(_output(selectors.source_get(client=self.client, source_id=source_id)))

    @extend_schema(request=s.SourceUpdateSerializer, responses=s.SourceOutputSerializer)
    def patch(self, request, source_id: int):
        source = selectors.source_get(client=self.client, source_id=source_id)
        edits = validated(s.SourceUpdateSerializer, request.data, partial=True)
        # A PATCH names what changes; the service takes the whole source, secrets aside.
        source = source_update(integration=source, data={**source_fields(source), **edits})
        return Response(_output(source))

    @extend_schema(responses={204: None})
    def delete(self, request, source_id: int):
        source_delete(integration=selectors.source_get(client=self.client, source_id=source_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SourceTestView(TenantAPIMixin, APIView):
    """Reach the source with its stored settings; `checked` says what was tried."""

    @extend_schema(request=None, responses=s.SourceTestSerializer)
    def post(self, request, source_id: int):
        result = source_test(integration=selectors.source_get(client=self.client, source_id=source_id))
        return Response(s.SourceTestSerializer(result).data)


class SourceSyncView(TenantAPIMixin, APIView):
    """Sync now on a worker: answers the queued run at once; poll `runs/{id}/` until `active` is false."""

    @extend_schema(request=None, responses={202: s.RunSerializer})
    def post(self, request, source_id: int):
        source = selectors.source_get(client=self.client, source_id=source_id)
        with transaction.atomic():
            run = source_sync_enqueue(integration=source)
        return Response(s.RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class SourceScheduleView(TenantAPIMixin, APIView):
    """The source's sync schedule: every N minutes or a cron expression (UTC); kind `none` removes it."""

    @extend_schema(responses=s.ScheduleSerializer)
    def get(self, request, source_id: int):
        source = selectors.source_get(client=self.client, source_id=source_id)
        return Response(s.ScheduleSerializer(sync_schedule_get(integration=source)).data)

    @extend_schema(request=s.ScheduleSerializer, responses=s.ScheduleSerializer)
    def put(self, request, source_id: int):
        source = selectors.source_get(client=self.client, source_id=source_id)
        data = validated(s.ScheduleSerializer, request.data)
        schedule = sync_schedule_set(
            integration=source, kind=data["kind"], every_minutes=data.get("every_minutes"), cron=data.get("cron", "")
        )
        return Response(s.ScheduleSerializer(schedule).data)

    @extend_schema(responses={204: None})
    def delete(self, request, source_id: int):
        source = selectors.source_get(client=self.client, source_id=source_id)
        sync_schedule_set(integration=source, kind="none")
        return Response(status=status.HTTP_204_NO_CONTENT)


class RunListView(TenantAPIMixin, ListAPIView):
    """Runs, newest first: `?source=ID` for one source's, `?status=` for one status."""

    serializer_class = s.RunSerializer
    pagination_class = RecordCursorPagination
    queryset = EtlRun.objects.none()  # the schema's id type; every query goes through the selector

    @extend_schema(parameters=[s.RunQuerySerializer])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = validated(s.RunQuerySerializer, self.request.query_params)
        source = selectors.source_get(client=self.client, source_id=query["source"]) if "source" in query else None
        runs = selectors.run_list(client=self.client, integration=source, limit=None)
        return runs.filter(status=query["status"]) if "status" in query else runs


class RunDetailView(TenantAPIMixin, APIView):
    @extend_schema(responses=s.RunSerializer)
    def get(self, request, run_id: int):
        return Response(s.RunSerializer(selectors.run_get(client=self.client, run_id=run_id)).data)
