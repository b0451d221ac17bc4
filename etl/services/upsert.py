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
