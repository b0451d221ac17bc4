"""A record found by search: its main fields, the text that was embedded, and its vector's row."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ai.models import VectorBridge
from ai.vectors.sources import UnknownVectorSourceError, vector_source
from hub.views.common import tenant_page


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
            "record": record,
            "fields": source.fields(record),
            "text": source.text(record),
            "vector": vector,
        },
    )
