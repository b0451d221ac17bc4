"""`/api/v1/ai/vectors/`: store, search, backfill. The tenant is always `request.user.client`."""

from dataclasses import asdict

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from ai.api import serializers as s
from ai.api.views import validated
from ai.models import BackfillJob, VectorBridge
from ai.vectors.backfill import backfill_cancel, backfill_get, backfill_plan, backfill_queue
from ai.vectors.bridge import RecordText, vectors_store_records
from ai.vectors.search import vectors_search
from ai.vectors.sources import vector_source
from pulse.core.api.views import TenantAPIMixin


class VectorStoreView(TenantAPIMixin, APIView):
    @extend_schema(request=s.VectorStoreInputSerializer, responses=s.VectorStoreOutputSerializer)
    def post(self, request):
        data = validated(s.VectorStoreInputSerializer, request.data)
        source = vector_source(data["table_name"])
        record = source.queryset(self.client).filter(pk=data["record_id"]).first()
        if record is None:
            raise Http404(f"No record {data['record_id']} in {data['table_name']}.")
        result = vectors_store_records(
            client=self.client,
            table_name=source.table_name,
            vector_type=data["vector_type"],
            records=[RecordText(record.pk, data["content"], source.fields(record))],
        )
        bridge = VectorBridge.objects.for_client(self.client).get(
            table_name=source.table_name, record_id=record.pk, vector_type=data["vector_type"]
        )
        return Response(
            s.VectorStoreOutputSerializer(
                {
                    "table_name": bridge.table_name,
                    "record_id": bridge.record_id,
                    "point_id": str(bridge.point_id),
                    "collection": bridge.collection,
                    "embedding_model": bridge.embedding_model,
                    "embedding_provider": bridge.embedding_provider,
                    "dimensions": bridge.dimensions,
                    "unchanged": result.unchanged == 1,
                }
            ).data
        )


class VectorSearchView(TenantAPIMixin, APIView):
    members_may_write = True  # a search changes nothing

    @extend_schema(request=s.VectorSearchInputSerializer, responses=s.VectorSearchHitSerializer(many=True))
    def post(self, request):
        data = validated(s.VectorSearchInputSerializer, request.data)
        hits = vectors_search(
            client=self.client,
            query_text=data["query_text"],
            table_names=data["table_names"],
            limit=data["limit"],
            score_threshold=data.get("score_threshold"),
            filters=data["filters"],
            exclude_record_ids=data["exclude"],
            mode=data["mode"],
        )
        return Response(s.VectorSearchHitSerializer([asdict(h) for h in hits], many=True).data)


class BackfillListView(TenantAPIMixin, APIView):
    @extend_schema(responses=s.BackfillJobSerializer(many=True))
    def get(self, request):
        jobs = BackfillJob.objects.for_client(self.client).order_by("-id")[:20]
        return Response(s.BackfillJobSerializer(jobs, many=True).data)

    @extend_schema(
        request=s.BackfillStartSerializer, responses={201: s.BackfillJobSerializer, 200: s.BackfillJobSerializer}
    )
    def post(self, request):
        data = validated(s.BackfillStartSerializer, request.data)
        job, created = backfill_queue(client=self.client, tables=data.get("tables"))
        return Response(s.BackfillJobSerializer(job).data, status=status.HTTP_201_CREATED if created else 200)


class BackfillPlanView(TenantAPIMixin, APIView):
    @extend_schema(responses=s.BackfillPlanSerializer(many=True))
    def get(self, request):
        return Response(s.BackfillPlanSerializer(backfill_plan(client=self.client), many=True).data)


class BackfillDetailView(TenantAPIMixin, APIView):
    @extend_schema(responses=s.BackfillJobSerializer)
    def get(self, request, job_id: int):
        return Response(s.BackfillJobSerializer(backfill_get(client=self.client, job_id=job_id)).data)


class BackfillCancelView(TenantAPIMixin, APIView):
    @extend_schema(request=None, responses=s.BackfillJobSerializer)
    def post(self, request, job_id: int):
        job = backfill_get(client=self.client, job_id=job_id)
        return Response(s.BackfillJobSerializer(backfill_cancel(job=job)).data)
