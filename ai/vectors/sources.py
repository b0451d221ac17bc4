"""Tables that get vectors register here (the ETL app registers work items, pull requests and
commits in its AppConfig.ready); `ai` never imports them.

A source says how to turn a record into text and fields, and which of those fields a search may
filter on (`filterable`): both stores and the API take the list from here, so a filter is either
honoured everywhere or refused with a 400, never silently ignored.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, QuerySet


@dataclass(frozen=True)
class VectorSource:
    table_name: str
    model: type[Model]  # a TenantOwnedModel
    text: Callable[[Any], str]  # the text to embed for one record
    fields: Callable[[Any], dict[str, Any]]  # the record's main fields, for results and payloads
    priority: int = 5  # higher first (the design notes' table priorities)
    vector_type: str = "content"
    filterable: tuple[str, ...] = ()  # keys of `fields`; a list-valued field matches any of its items
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()

    def queryset(self, client) -> QuerySet:
        qs = self.model.objects.for_client(client)
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        if self.prefetch_related:
            qs = qs.prefetch_related(*self.prefetch_related)
        return qs


_sources: dict[str, VectorSource] = {}


class UnknownVectorSourceError(KeyError):
    pass


def register_vector_source(source: VectorSource) -> None:
    _sources[source.table_name] = source


def unregister_vector_source(table_name: str) -> None:
    _sources.pop(table_name, None)


def vector_source(table_name: str) -> VectorSource:
    try:
        return _sources[table_name]
    except KeyError:
        raise UnknownVectorSourceError(table_name) from None


def is_vector_source(table_name: str) -> bool:
    return table_name in _sources


def filterable_fields(table_names: list[str]) -> tuple[str, ...]:
    """What a search over these tables may filter on: every point's vector type, and each table's
    declared fields (a filter on a field one table lacks simply matches none of its records)."""
    declared = {name for table in table_names for name in vector_source(table).filterable}
    return ("vector_type", *sorted(declared))


def vector_sources() -> list[VectorSource]:
    return sorted(_sources.values(), key=lambda s: (-s.priority, s.table_name))


LOCAL_BATCH = 1000


def batch_size_for(total: int, *, local: bool = False) -> int:
    """The design notes' batch sizes by table size; larger for the local model, whose encode sorts
    each call's texts by length and pads less in a large call (bench/ingest.py: 200 texts per call
    ran at a third of one sorted call's rate). 1,000 texts stay well inside the job's heartbeat
    window even on a loaded machine (about 20-60 s)."""
    if local and total > 1_000:
        return LOCAL_BATCH
    if total > 10_000:
        return 200
    if total > 1_000:
        return 150
    return 100
