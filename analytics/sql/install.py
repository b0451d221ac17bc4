"""Create and drop the semantic layer's permanent objects on PostgreSQL: the views (security
barrier, filtered on the transaction-local `pulse.client_id`), their comments (the descriptions),
and the read-only role the agent's queries run as, which may SELECT the views and nothing else.

The views are derived from the models, so they are dropped before every `migrate` (a migration
may alter a column a view reads) and recreated after it. On SQLite nothing is permanent: the
agent's read-only connection creates temporary views for its tenant (see `execute`).
"""

import hashlib

from django.conf import settings
from django.db import connection

from analytics.sql.layer import SCOPE_TABLE, VIEWS, View, view_select


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _role_statements(role: str) -> list[str]:
    # Roles are cluster-wide: another database (or a concurrent test run) may create it first. A
    # database user without CREATEROLE cannot: migrate still succeeds with a warning, and an
    # administrator creates the role once (README); until then the agent's SET ROLE fails and it refuses.
    missing = f"NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {_quoted(role)})"
    return [
        f'DO $$ BEGIN IF {missing} THEN CREATE ROLE "{role}" NOLOGIN; END IF; '
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; WHEN insufficient_privilege THEN "
        f"RAISE WARNING 'Pulse cannot create the role {role}: an administrator must create it (NOLOGIN)'; END $$",
        # Nested IFs: SQL does not promise to skip pg_has_role (which fails on a missing role).
        f"DO $$ BEGIN IF NOT {missing} THEN IF NOT pg_has_role(current_user, {_quoted(role)}, 'MEMBER') THEN "
        f"EXECUTE 'GRANT \"{role}\" TO ' || quote_ident(current_user); END IF; END IF; "
        f"EXCEPTION WHEN insufficient_privilege THEN RAISE WARNING 'Pulse cannot grant itself the role {role}'; END $$",
        f"CREATE TABLE IF NOT EXISTS {SCOPE_TABLE} (secret text NOT NULL)",
        f"REVOKE ALL ON {SCOPE_TABLE} FROM PUBLIC",
        f"INSERT INTO {SCOPE_TABLE} (secret) SELECT gen_random_uuid()::text || gen_random_uuid()::text "
        f"WHERE NOT EXISTS (SELECT 1 FROM {SCOPE_TABLE})",
    ]


def _grant(statement: str, role: str) -> str:
    """`statement` when the role exists (it may not: see _role_statements)."""
    exists = f"EXISTS (SELECT 1 FROM pg_roles WHERE rolname = {_quoted(role)})"
    return f"DO $$ BEGIN IF {exists} THEN {statement}; END IF; END $$"


def _view_statements(view: View, role: str) -> list[str]:
    statements = [
        f'CREATE VIEW "{view.name}" WITH (security_barrier = true) AS {view_select(view, "postgres")}',
        f'REVOKE ALL ON "{view.name}" FROM PUBLIC',
        _grant(f'GRANT SELECT ON "{view.name}" TO "{role}"', role),
        f'COMMENT ON VIEW "{view.name}" IS {_quoted(view.description)}',
    ]
    statements += [
        f'COMMENT ON COLUMN "{view.name}"."{column.name}" IS {_quoted(column.description)}' for column in view.columns
    ]
    return statements


def sql_layer_drop() -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for view in VIEWS:
            cursor.execute(f'DROP VIEW IF EXISTS "{view.name}" CASCADE')


def _current(cursor, fingerprint: str) -> bool:
    """The views are all there and were built from these very statements (a test database's flush
    re-sends post_migrate after every transactional test: nothing to redo then)."""
    cursor.execute(
        "SELECT obj_description(to_regclass(%s), 'pg_class'), "
        "(SELECT count(*) FROM pg_views WHERE schemaname = current_schema() AND viewname = ANY(%s))",
        [SCOPE_TABLE, [view.name for view in VIEWS]],
    )
    stored, count = cursor.fetchone()
    return stored == fingerprint and count == len(VIEWS)


def sql_layer_install(*, force: bool = False) -> bool:
    """(Re)create the views and the role; False when the business tables are not there yet."""
    if connection.vendor != "postgresql":
        return False
    tables = set(connection.introspection.table_names())
    if any(view.table not in tables for view in VIEWS):
        return False
    role = settings.PULSE_SQL_ROLE
    statements = [_grant(f'GRANT USAGE ON SCHEMA public TO "{role}"', role)]
    statements += [s for view in VIEWS for s in _view_statements(view, role)]
    fingerprint = hashlib.sha256("\n".join([*_role_statements(role), *statements]).encode()).hexdigest()
    with connection.cursor() as cursor:
        if not force and _current(cursor, fingerprint):
            return True
    sql_layer_drop()
    with connection.cursor() as cursor:
        for statement in [*_role_statements(role), *statements]:
            cursor.execute(statement)
        cursor.execute(f"COMMENT ON TABLE {SCOPE_TABLE} IS {_quoted(fingerprint)}")
    return True
