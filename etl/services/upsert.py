"""Insert, update or leave alone one row by its source identity: the step every source repeats."""

from collections import Counter
from typing import Any

from django.db.models import Model


def upsert_row(
    model: type[Model],
    *,
    client,
    lookup: dict[str, Any],
    values: dict[str, Any],
    compare: tuple[str, ...],
    counts: Counter,
) -> Model:
    """Create the row, update it when a `compare` field differs (every value is then written), or
    leave it. Counts 'created', 'updated' or 'unchanged' into `counts`."""
    row = model.objects.for_client(client).filter(**lookup).first()
    if row is None:
        counts["created"] += 1
        return model.objects.create(client=client, **lookup, **values)
    if any(getattr(row, field) != values[field] for field in compare):
        for field, value in values.items():
            setattr(row, field, value)
        row.save()
        counts["updated"] += 1
    else:
        counts["unchanged"] += 1
    return row


def upsert_rows(model: type[Model], *, client, rows: list[dict[str, Any]], unique: tuple[str, ...]) -> None:
    """Insert or update many rows of one model in one statement, keyed by `unique` within the tenant
    (child rows of a page: comments, changes, reviews). A key given twice: the last one wins, as
    one statement cannot update a row twice."""
    if not rows:
        return
    by_key = {tuple(row[field] for field in unique): row for row in rows}
    model.objects.bulk_create(
        [model(client=client, **row) for row in by_key.values()],
        update_conflicts=True,
        unique_fields=["client", *unique],
        update_fields=sorted(set().union(*rows) - set(unique)),
    )
