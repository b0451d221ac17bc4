"""Run one guarded query as the tenant, with the database enforcing what it may see.

PostgreSQL: a connection of its own, a READ ONLY transaction, `pulse.client_id` set LOCAL (the
views filter on it), `statement_timeout` and `lock_timeout` set LOCAL, then SET LOCAL ROLE to the
NOLOGIN reader role, which may SELECT the views and nothing else. The statement is prepared, so
the server itself refuses a second command. The transaction is rolled back.

SQLite: a read-only (`mode=ro`) connection of its own, temporary views holding the tenant's id,
an authorizer that allows reading only through those views and only allow-listed functions, and
a progress handler that stops a query past its time.

Both: the query is checked by the guard first (nothing unguarded ever runs), EXPLAINed, then run
wrapped in a LIMIT of one more row than the cap; rows stop at the row cap or the byte cap, with
a note saying so.
"""

import json
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import psycopg
from django.conf import settings
from django.db import connection

from analytics.sql.guard import FUNCTIONS, check
from analytics.sql.layer import SCOPE_TABLE, TENANT_SETTING, TOKEN_OF, TOKEN_SETTING, VIEWS, VIEWS_BY_NAME, view_select
from pulse.core.models import Client

FETCH_BATCH = 100
# Run as the connecting (owner) role, before SET ROLE: only it can read the secret the token needs.
SCOPE = (
    f"SELECT set_config('{TENANT_SETTING}', %(client)s, true), set_config('{TOKEN_SETTING}', "
    f"(SELECT {TOKEN_OF.format(client='%(client)s')} FROM {SCOPE_TABLE} AS k), true)"
)


class ExecutionError(Exception):
    """The database refused or stopped the query; the message is safe to show and to feed back."""


@dataclass
class Result:
    sql: str
    columns: list[str]
    rows: list[list]
    truncated: bool = False
    notes: list[str] = field(default_factory=list)
    elapsed_ms: int = 0

    @property
    def row_count(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class Caps:
    rows: int
    bytes: int
    timeout_ms: int

    @classmethod
    def default(cls) -> "Caps":
        return cls(settings.PULSE_SQL_MAX_ROWS, settings.PULSE_SQL_MAX_BYTES, settings.PULSE_SQL_TIMEOUT_MS)


def dialect() -> str:
    """sqlglot's name for the database Pulse runs on."""
    return "postgres" if connection.vendor == "postgresql" else "sqlite"


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _collect(cursor, sql: str, caps: Caps, started: float) -> Result:
    columns = [d[0] for d in cursor.description or []]
    rows, size, result = [], 0, Result(sql, columns, [])
    while batch := cursor.fetchmany(FETCH_BATCH):
        for raw in batch:
            row = [_plain(v) for v in raw]
            size += len(json.dumps(row))
            if len(rows) >= caps.rows:
                result.truncated = True
                result.notes.append(f"Showing the first {caps.rows} rows; the query returned more.")
                break
            if size > caps.bytes:
                result.truncated = True
                result.notes.append(f"Showing the first {len(rows)} rows: the result passed {caps.bytes} bytes.")
                break
            rows.append(row)
        if result.truncated:
            break
    result.rows = rows
    result.elapsed_ms = round((time.perf_counter() - started) * 1000)
    return result


def _capped(sql: str, caps: Caps) -> str:
    return f"SELECT * FROM ({sql}) AS pulse_result LIMIT {caps.rows + 1}"


def _pg_params() -> dict:
    db = connection.settings_dict
    params = {"dbname": db["NAME"], "user": db["USER"], "password": db["PASSWORD"], "host": db["HOST"]}
    if db.get("PORT"):
        params["port"] = db["PORT"]
    return {k: v for k, v in params.items() if v not in (None, "")}


def _postgres(client: Client, sql: str, caps: Caps) -> Result:
    started = time.perf_counter()
    try:
        with psycopg.connect(**_pg_params(), autocommit=True, connect_timeout=5) as conn:
            conn.execute("BEGIN READ ONLY")
            conn.execute(SCOPE, {"client": str(int(client.pk))})
            conn.execute(f"SET LOCAL statement_timeout = {int(caps.timeout_ms)}")
            conn.execute("SET LOCAL lock_timeout = 1000")
            conn.execute("SET LOCAL TimeZone = 'UTC'")  # weeks and months bucket the same on every server
            conn.execute(f'SET LOCAL ROLE "{settings.PULSE_SQL_ROLE}"')
            conn.execute(f"EXPLAIN {sql}", prepare=True)
            cursor = conn.execute(_capped(sql, caps), prepare=True)
            result = _collect(cursor, sql, caps, started)
            conn.execute("ROLLBACK")
            return result
    except psycopg.errors.QueryCanceled:
        raise ExecutionError(f"The query ran longer than {caps.timeout_ms} ms and was stopped.") from None
    except psycopg.Error as exc:
        message = (exc.diag.message_primary if exc.diag else None) or str(exc)
        raise ExecutionError(f"The database refused the query: {message}") from None


def _authorizer(action: int, arg1, arg2, database, inner_view) -> int:
    if action == sqlite3.SQLITE_SELECT or action == sqlite3.SQLITE_RECURSIVE:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_READ:
        through_view = inner_view in VIEWS_BY_NAME
        own_view = database == "temp" and arg1 in VIEWS_BY_NAME and inner_view is None
        # v_commit_files's json_each, once SQLite flattens the view into a count(*), is read
        # without the view's name; it reads the JSON it is given, no table.
        json_rows = arg1 == "json_each"
        return sqlite3.SQLITE_OK if through_view or own_view or json_rows else sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION:
        allowed = inner_view in VIEWS_BY_NAME or (arg2 or "").lower() in FUNCTIONS
        return sqlite3.SQLITE_OK if allowed else sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_DENY


def sqlite_run(*, path: str, client_id: int, sql: str, caps: Caps) -> Result:
    """`sql` (already guarded) on the SQLite file at `path`, as tenant `client_id`."""
    started = time.perf_counter()
    deadline = time.monotonic() + caps.timeout_ms / 1000
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5, check_same_thread=False)
    try:
        for view in VIEWS:
            db.execute(f'CREATE TEMP VIEW "{view.name}" AS {view_select(view, "sqlite", client_id)}')
        db.set_authorizer(_authorizer)
        db.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
        db.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()
        return _collect(db.execute(_capped(sql, caps)), sql, caps, started)
    except sqlite3.OperationalError as exc:
        if time.monotonic() > deadline:
            raise ExecutionError(f"The query ran longer than {caps.timeout_ms} ms and was stopped.") from None
        raise ExecutionError(f"The database refused the query: {exc}") from None
    except sqlite3.Error as exc:
        raise ExecutionError(f"The database refused the query: {exc}") from None
    finally:
        db.close()


def run_query(*, client: Client, sql: str, caps: Caps | None = None) -> Result:
    """The rows `sql` returns for `client`. Raises GuardError when the guard refuses it and
    ExecutionError when the database does."""
    caps = caps or Caps.default()
    checked = check(sql, dialect=dialect())
    if connection.vendor == "postgresql":
        return _postgres(client, checked.sql, caps)
    return sqlite_run(path=str(connection.settings_dict["NAME"]), client_id=client.pk, sql=checked.sql, caps=caps)
