"""The database, not the model, keeps a tenant's query on its own rows: a hand-written
`SELECT * FROM <view>` from tenant A returns no row of tenant B, on PostgreSQL (reader role,
views keyed on a transaction-local setting and its token) and on SQLite (read-only connection,
temporary tenant views, an authorizer). Queries here skip the guard on purpose where the point
is what the database alone refuses."""

import pytest

from analytics.sql import execute
from analytics.sql.curated import PAIRS
from analytics.sql.execute import Caps, ExecutionError, run_query, sqlite_run
from analytics.sql.guard import check
from analytics.sql.layer import VIEWS
from analytics.sql.pairs import Parameters, bind
from etl.models import Commit
from tests.analytics.sql_data import MARK, sqlite_copy

pytestmark = pytest.mark.django_db(transaction=True)
CAPS = Caps(rows=1000, bytes=1_000_000, timeout_ms=3000)


def _text(result) -> str:
    return repr(result.rows)


FILLED = ("v_commits", "v_commit_files", "v_repositories", "v_pull_requests", "v_pull_request_reviews", "v_releases")


def test_every_view_shows_tenant_a_none_of_tenant_bs_rows_on_postgres(two_tenants):
    a, b = two_tenants
    for view in (v.name for v in VIEWS):
        mine = run_query(client=a, sql=f"SELECT * FROM {view}", caps=CAPS)
        theirs = run_query(client=b, sql=f"SELECT * FROM {view}", caps=CAPS)

        assert MARK not in _text(mine) and "acme/b" not in _text(mine), view
        if view in FILLED:  # both tenants have rows here: the filter, not emptiness, separates them
            assert mine.rows and theirs.rows, view
            assert {row[0] for row in mine.rows}.isdisjoint({row[0] for row in theirs.rows}), view


def test_counts_per_tenant_match_the_orm(two_tenants):
    a, b = two_tenants
    for client in (a, b):
        counted = run_query(client=client, sql="SELECT count(*) FROM v_commits", caps=CAPS).rows[0][0]
        assert counted == Commit.objects.for_client(client).count()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM commits",  # a base table: the reader role has no grant on it
        "SELECT secret FROM pulse_sql_scope",  # the token's secret
        "DELETE FROM commits",
        "CREATE TABLE x (a int)",
    ],
)
def test_the_reader_role_alone_refuses_base_tables_and_writes(two_tenants, sql):
    with pytest.raises(ExecutionError, match="refused"):
        execute._postgres(two_tenants[0], sql, CAPS)


def test_setting_another_tenants_id_inside_the_query_shows_nothing(two_tenants):
    # Were the guard bypassed, set_config could name tenant B, but not B's token.
    a, b = two_tenants
    sql = (
        f"WITH s AS MATERIALIZED (SELECT set_config('pulse.client_id', '{b.pk}', true) AS v) "
        "SELECT c.* FROM s, v_commits c"
    )

    result = execute._postgres(a, sql, CAPS)

    assert result.rows == []


def test_a_statement_with_two_commands_is_refused_by_the_server(two_tenants):
    with pytest.raises(ExecutionError):
        execute._postgres(two_tenants[0], "SELECT 1; COMMIT; DELETE FROM commits", CAPS)
    assert Commit.objects.count() == 10


@pytest.fixture
def sqlite_file(two_tenants, tmp_path):
    return sqlite_copy(tmp_path / "pulse.sqlite3")


def test_every_view_shows_tenant_a_none_of_tenant_bs_rows_on_sqlite(two_tenants, sqlite_file):
    a, b = two_tenants
    for view in (v.name for v in VIEWS):
        mine = sqlite_run(path=str(sqlite_file), client_id=a.pk, sql=f"SELECT * FROM {view}", caps=CAPS)
        theirs = sqlite_run(path=str(sqlite_file), client_id=b.pk, sql=f"SELECT * FROM {view}", caps=CAPS)

        assert MARK not in _text(mine) and "acme/b" not in _text(mine), view
        if view in FILLED:
            assert mine.rows and theirs.rows, view
            assert {row[0] for row in mine.rows}.isdisjoint({row[0] for row in theirs.rows}), view


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM commits",
        "SELECT * FROM main.commits",
        "SELECT name, sql FROM sqlite_master",
        "SELECT load_extension('x')",
        "DELETE FROM commits",
        "CREATE TABLE x (a int)",
    ],
)
def test_the_sqlite_authorizer_and_read_only_connection_refuse_the_rest(two_tenants, sqlite_file, sql):
    with pytest.raises(ExecutionError):
        sqlite_run(path=str(sqlite_file), client_id=two_tenants[0].pk, sql=sql, caps=CAPS)


def test_sqlite_counts_match_the_orm(two_tenants, sqlite_file):
    a, _ = two_tenants
    result = sqlite_run(path=str(sqlite_file), client_id=a.pk, sql="SELECT count(*) FROM v_commit_files", caps=CAPS)
    assert result.rows == [[4]]


def _same(rows) -> list:
    """Rows comparable across databases: timestamps as 'YYYY-MM-DD HH:MM:SS', numbers rounded."""

    def value(v):
        if isinstance(v, str) and len(v) >= 19 and v[4] == "-" and v[10] in "T ":
            return v[:10] + " " + v[11:19]
        return round(float(v), 1) if isinstance(v, int | float) and not isinstance(v, bool) else v

    return sorted((tuple(value(v) for v in row) for row in rows), key=repr)


def test_every_shipped_pair_gives_the_same_rows_on_postgres_and_sqlite(two_tenants, sqlite_file):
    a, _ = two_tenants
    narrowed = Parameters(since="2026-01-01 02:00:00", repository="acme/a", person="A author 1")
    for pair in PAIRS:
        for params in (Parameters(), narrowed):
            pg = run_query(client=a, sql=bind(pair.postgres, params, "postgres"), caps=CAPS)
            lite_sql = check(bind(pair.sqlite, params, "sqlite"), dialect="sqlite").sql
            lite = sqlite_run(path=str(sqlite_file), client_id=a.pk, sql=lite_sql, caps=CAPS)
            assert _same(pg.rows) == _same(lite.rows), pair.question
