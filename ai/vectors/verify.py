"""Compare a tenant's bridge rows with the vector store, and repair what does not match."""

from dataclasses import dataclass, field

from ai.models import VectorBridge
from ai.vectors.stores import get_vector_store
from pulse.core.models import Client


@dataclass
class VerifyReport:
    collections: int = 0
    bridge_rows: int = 0
    points: int = 0
    missing_points: list[tuple[str, int]] = field(default_factory=list)  # bridge row, no point
    orphan_points: list[tuple[str, str]] = field(default_factory=list)  # point, no bridge row
    repaired: int = 0


def vectors_verify(*, client: Client, repair: bool = False) -> VerifyReport:
    """Compare bridge rows with the store. Repair: a bridge row without its point is deleted (the
    record is then queued for the next backfill); a point without a bridge row is deleted."""
    store = get_vector_store()
    report = VerifyReport()
    bridges = list(
        VectorBridge.objects.for_client(client).values_list("id", "collection", "point_id", "table_name", "record_id")
    )
    report.bridge_rows = len(bridges)
    collections = set(store.collections(client_id=client.pk)) | {b[1] for b in bridges}
    report.collections = len(collections)
    for collection in sorted(collections):
        points = store.point_ids(collection, client_id=client.pk)
        report.points += len(points)
        mine = {str(b[2]): b for b in bridges if b[1] == collection}
        report.missing_points += [(b[3], b[4]) for pid, b in mine.items() if pid not in points]
        orphans = sorted(points - set(mine))
        report.orphan_points += [(collection, pid) for pid in orphans]
        if repair:
            missing_ids = [b[0] for pid, b in mine.items() if pid not in points]
            VectorBridge.objects.filter(pk__in=missing_ids).delete()
            store.delete(collection, client_id=client.pk, point_ids=orphans)
            report.repaired += len(missing_ids) + len(orphans)
            if not mine and not (points - set(orphans)):
                store.drop_collection(collection)
    return report
