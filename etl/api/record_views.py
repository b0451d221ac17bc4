"""Imported records over the API: filtered, cursor-paginated lists and details with related records."""

from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from etl import record_selectors as records
from etl.api import serializers as s
from etl.api.pagination import RecordCursorPagination
from etl.models import Commit, PullRequest, PullRequestReview, Tag, WorkItem
from pulse.core.api.views import TenantAPIMixin


class WithRelated:
    """A record with its related records beside it, read by a detail serializer (the record's own
    reverse relations cannot be assigned to)."""

    def __init__(self, record, related: dict) -> None:
        self._record, self._related = record, related

    def __getattr__(self, name: str):
        return self._related[name] if name in self._related else getattr(self._record, name)


class RecordListView(TenantAPIMixin, ListAPIView):
    """A kind's records, newest first, `next`/`previous` cursors to page (`limit` up to 200)."""

    kind = ""
    query_serializer = s.RecordQuerySerializer
    pagination_class = RecordCursorPagination

    def get_queryset(self):
        query = self.query_serializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return records.record_list(client=self.client, kind=self.kind, **query.validated_data)


def _list_view(kind: str, model, serializer, query, summary: str) -> type[RecordListView]:
    def get(self, request, *args, **kwargs):  # its own function: the schema is declared per kind
        return RecordListView.get(self, request, *args, **kwargs)

    attributes = {
        "kind": kind,
        "serializer_class": serializer,
        "query_serializer": query,
        "queryset": model.objects.none(),  # the schema's id type; queries go through the selector
        "get": extend_schema(parameters=[query], summary=summary)(get),
    }
    return type(f"{model.__name__}ListView", (RecordListView,), attributes)


WorkItemListView = _list_view(
    "work_items", WorkItem, s.WorkItemSerializer, s.WorkItemQuerySerializer, "Work items (Jira issues)"
)
PullRequestListView = _list_view(
    "pull_requests", PullRequest, s.PullRequestSerializer, s.PullRequestQuerySerializer, "Pull requests"
)
ReviewListView = _list_view(
    "reviews", PullRequestReview, s.ReviewSerializer, s.PullRequestQuerySerializer, "Pull request reviews"
)
CommitListView = _list_view("commits", Commit, s.CommitSerializer, s.CommitQuerySerializer, "Commits")
ReleaseListView = _list_view("releases", Tag, s.ReleaseSerializer, s.ReleaseQuerySerializer, "Releases and tags")


class WorkItemDetailView(TenantAPIMixin, APIView):
    @extend_schema(responses=s.WorkItemDetailSerializer)
    def get(self, request, work_item_id: int):
        item = records.record_get(client=self.client, kind="work_items", record_id=work_item_id)
        return Response(s.WorkItemDetailSerializer(WithRelated(item, records.work_item_related(item=item))).data)


class PullRequestDetailView(TenantAPIMixin, APIView):
    @extend_schema(responses=s.PullRequestDetailSerializer)
    def get(self, request, pull_request_id: int):
        pr = records.record_get(client=self.client, kind="pull_requests", record_id=pull_request_id)
        return Response(s.PullRequestDetailSerializer(WithRelated(pr, records.pull_request_related(pr=pr))).data)


class ReviewDetailView(TenantAPIMixin, APIView):
    @extend_schema(responses=s.ReviewDetailSerializer)
    def get(self, request, review_id: int):
        review = records.record_get(client=self.client, kind="reviews", record_id=review_id)
        return Response(s.ReviewDetailSerializer(review).data)


class CommitDetailView(TenantAPIMixin, APIView):
    @extend_schema(responses=s.CommitDetailSerializer)
    def get(self, request, commit_id: int):
        commit = records.record_get(client=self.client, kind="commits", record_id=commit_id)
        return Response(s.CommitDetailSerializer(WithRelated(commit, records.commit_related(commit=commit))).data)


class ReleaseDetailView(TenantAPIMixin, APIView):
    @extend_schema(responses=s.ReleaseDetailSerializer)
    def get(self, request, release_id: int):
        tag = records.record_get(client=self.client, kind="releases", record_id=release_id)
        return Response(s.ReleaseDetailSerializer(WithRelated(tag, records.release_related(tag=tag))).data)
