"""A record found by search: its main fields, the text that was embedded, and its vector's row."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ai.models import VectorBridge
from ai.vectors.sources import UnknownVectorSourceError, vector_source
from etl.models import Commit, PullRequest, WorkItem
from hub.views.common import tenant_page


def record_title(record) -> str:
    """The record's whole title (the model's str() cuts it at 60 characters for lists)."""
    if isinstance(record, WorkItem):
        return f"{record.key}: {record.summary}"
    if isinstance(record, PullRequest):
        return f"#{record.number} {record.title}"
    if isinstance(record, Commit):
        first_line = record.message.split("\n", 1)[0] if record.message else ""
        return f"{first_line} ({record.sha[:10]})"
    return str(record)


@tenant_page
@require_GET
def record_detail(request, table: str, record_id: int):
    try:
        source = vector_source(table)
    except UnknownVectorSourceError:
        raise Http404("No such table.") from None
    record = source.queryset(request.client).filter(pk=record_id).first()
    if record is None:
        raise Http404("No such record.")
    vector = (
        VectorBridge.objects.for_client(request.client)
        .filter(table_name=table, record_id=record_id, vector_type=source.vector_type)
        .first()
    )
    return render(
        request,
        "hub/record.html",
        {
            "section": "testing",
            "table": table,
            "kind": table.replace("_", " ").rstrip("s").capitalize(),
            "title": record_title(record),
            "record": record,
            "fields": source.fields(record),
            "text": source.text(record),
            "vector": vector,
        },
    )
