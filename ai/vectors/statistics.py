"""Planner statistics for the search tables after bulk writes.

The keyword engine's one-statement ranking and the vector store's exact scans are planned from
what PostgreSQL believes the tables hold. A fresh database's migrations analyse them empty; with
those statistics, over 20,000 imported commits, keyword rankings took 4.9 s (median of 5, worst
29.7 s) against 21.5 ms once analysed (bench/README.md, "Planner statistics"). Autovacuum would
refresh them within a minute, but it can be off (it was, on the machine behind bench/README.md)
or behind, so the writers that add many rows at once (an ETL run, a backfill) refresh them
themselves, by autovacuum's own rule: when the rows changed since the last ANALYZE exceed a tenth
of what the planner believes the table holds.
"""

import logging

from django.db import DatabaseError, OperationalError, connection

logger = logging.getLogger(__name__)

TABLES = ("ai_search_documents", "ai_search_postings", "pgvector_embeddings")
MIN_CHANGES = 1000  # below this an ANALYZE changes no plan worth its sample
LOCK_WAIT = "2s"  # ANALYZE waits this long for a table another process holds, then skips it


def refresh_search_statistics(*, min_changes: int | None = None) -> list[str]:
    """ANALYZE each search table whose statistics are stale; returns the tables analysed.
    A no-op off PostgreSQL and inside a transaction (ANALYZE there would hold its locks to the end).
    Never fails its caller: a table another process holds (an index built CONCURRENTLY takes the
    lock ANALYZE needs, for minutes) is left for the next writer, and so is any database error."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return []
    least = MIN_CHANGES if min_changes is None else min_changes
    analysed: list[str] = []
    try:
        with connection.cursor() as cursor:
            for name in _stale(cursor, least):
                if _analyse(cursor, name):
                    analysed.append(name)
    except DatabaseError as exc:
        logger.warning("planner statistics not refreshed: %s", exc)
    if analysed:
        logger.info("refreshed planner statistics of %s", ", ".join(analysed))
    return analysed


def _stale(cursor, least: int) -> list[str]:
    # This backend's own counts reach the statistics views at most once a second; flush them.
    if connection.pg_version >= 150000:
        cursor.execute("SELECT pg_stat_force_next_flush()")
    cursor.execute(
        "SELECT s.relname, s.n_mod_since_analyze, greatest(c.reltuples, 0) FROM pg_stat_user_tables s "
        "JOIN pg_class c ON c.oid = s.relid WHERE s.relname = ANY(%s)",
        [list(TABLES)],
    )
    return sorted(name for name, changed, believed in cursor.fetchall() if changed >= max(least, believed / 10))


def _analyse(cursor, name: str) -> bool:
    cursor.execute("SET lock_timeout = %s", [LOCK_WAIT])
    try:
        cursor.execute(f"ANALYZE {name}")  # a name from TABLES, never input
        return True
    except OperationalError as exc:  # lock_timeout: the table is busy
        logger.info("ANALYZE %s skipped: %s", name, exc)
        return False
    finally:
        cursor.execute("RESET lock_timeout")
