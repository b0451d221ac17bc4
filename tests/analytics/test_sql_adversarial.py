"""The adversarial set: hand-written SQL that tries to write, to run a second statement, to hide
one in comments or strings, to read another tenant, the system catalogs or the server's files, to
call dangerous functions, to lock rows, to return everything or to run forever. Each string goes
through the agent's one entry point (guard, then the scoped database). Across the set: no write
happens, no row of tenant B comes back, and every forbidden function is refused by the guard
before the database sees it."""

import pytest

from analytics.sql.execute import Caps, ExecutionError, run_query
from analytics.sql.guard import GuardError
from etl.models import Commit, PullRequest, Repository
from tests.analytics.sql_data import MARK

pytestmark = pytest.mark.django_db(transaction=True)
CAPS = Caps(rows=50, bytes=20_000, timeout_ms=500)

# Refused by the guard: the database never sees them.
FORBIDDEN = [
    "DELETE FROM v_commits",
    "UPDATE v_commits SET message = 'x'",
    "INSERT INTO v_commits (id) VALUES (1)",
    "DROP VIEW v_commits",
    "TRUNCATE commits",
    "ALTER TABLE commits ADD COLUMN x int",
    "CREATE TABLE stolen AS SELECT * FROM v_commits",
    "GRANT SELECT ON commits TO PUBLIC",
    "SELECT 1; DROP TABLE commits",
    "SELECT 1; SELECT 2",
    "SELECT * FROM v_commits; -- harmless\nDELETE FROM commits",
    "/* comment */ DELETE FROM commits",
    "SELECT * FROM v_commits /* ; */ ; UPDATE commits SET message = ''",
    "WITH gone AS (DELETE FROM commits RETURNING *) SELECT count(*) FROM gone",
    "WITH x AS (UPDATE commits SET message = '' RETURNING id) SELECT * FROM x",
    "SELECT * INTO stolen FROM v_commits",
    "SELECT * FROM v_commits FOR UPDATE",
    "SELECT * FROM v_commits FOR SHARE",
    "SELECT * FROM commits",
    "SELECT * FROM public.commits",
    "SELECT * FROM public.v_commits",
    "SELECT * FROM analytics_qa_interactions",
    "SELECT * FROM core_client",
    "SELECT * FROM pulse_sql_scope",
    "SELECT * FROM pg_catalog.pg_authid",
    "SELECT * FROM pg_class",
    "SELECT * FROM information_schema.tables",
    "SELECT * FROM pg_stat_activity",
    "SELECT pg_read_file('/etc/passwd')",
    "SELECT pg_sleep(30)",
    "SELECT count(*) FROM v_commits WHERE pg_sleep(1) IS NOT NULL",
    "SELECT * FROM dblink('host=evil', 'SELECT 1') AS t(a int)",
    "SELECT lo_import('/etc/passwd')",
    "SELECT lo_export(1, '/tmp/x')",
    "SELECT set_config('pulse.client_id', '2', true)",
    "SELECT current_setting('pulse.scope_token')",
    "SELECT * FROM v_commits WHERE client_id = 2",
    "SELECT version()",
    "SELECT current_user",
    "SELECT * FROM generate_series(1, 100000000)",
    "COPY commits TO '/tmp/x'",
    "SET ROLE postgres",
    "RESET ROLE",
    "BEGIN",
    "COMMIT",
    "ATTACH DATABASE '/tmp/x' AS x",
    "PRAGMA table_info(commits)",
    "SELECT load_extension('/tmp/evil')",
    "SELECT * FROM v_commits WHERE sha = $1",
    "SELECT * FROM v_commits WHERE id IN (SELECT client_id FROM commits)",
    "SELECT (SELECT count(*) FROM work_items) AS n",
    "",
    "   ",
    "SELECT",
    "SELECT pg_catalog.pg_sleep(1)",
    'SELECT "pg_sleep"(1)',
    "SELECT count(*) FILTER (WHERE pg_sleep(1) IS NULL) FROM v_commits",
    "SELECT 'pg_authid'::regclass",
    "SELECT nextval('commits_id_seq')",
    "SELECT current_setting('is_superuser')",
    "EXPLAIN ANALYZE SELECT 1",
    "SELECT sha FROM v_commits UNION ALL SELECT usename FROM pg_user",
]
# Allowed by the guard: the database's scoping and caps decide what comes back.
ALLOWED = [
    "SELECT * FROM v_commits",
    "SELECT * FROM v_commits WHERE message LIKE '%TENANT-B-MARK%'",
    "SELECT * FROM v_repositories WHERE full_name = 'acme/b'",
    "SELECT 'DROP TABLE commits; --' AS s",
    "SELECT message FROM v_commits WHERE message = '; DELETE FROM commits; --'",
    "SELECT * FROM v_commits a, v_commits b, v_commits c",  # huge: capped
    "SELECT a.message, repeat_me.n FROM v_commits a CROSS JOIN (SELECT count(*) AS n FROM v_commit_files) repeat_me",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) SELECT count(*) FROM n",
]


def _counts():
    return Commit.objects.count(), PullRequest.objects.count(), Repository.objects.count()


def test_the_set_is_large_enough():
    assert len(FORBIDDEN) + len(ALLOWED) >= 40


def test_no_write_no_foreign_row_no_forbidden_function(two_tenants):
    a, _ = two_tenants
    before = _counts()
    refused_by_guard, answered, stopped = 0, 0, 0
    for sql in FORBIDDEN:
        try:
            run_query(client=a, sql=sql, caps=CAPS)
        except GuardError:
            refused_by_guard += 1
        else:
            pytest.fail(f"the guard let through: {sql}")
    for sql in ALLOWED:
        try:
            result = run_query(client=a, sql=sql, caps=CAPS)
        except ExecutionError as exc:
            assert "longer than" in str(exc), sql
            stopped += 1
            continue
        answered += 1
        assert MARK not in repr(result.rows) and "acme/b" not in repr(result.rows), sql
        assert result.row_count <= CAPS.rows
    assert _counts() == before  # 0 writes
    assert (refused_by_guard, answered, stopped) == (len(FORBIDDEN), len(ALLOWED) - 1, 1)


def test_a_huge_result_is_cut_with_a_note(two_tenants):
    caps = Caps(rows=50, bytes=1_000_000, timeout_ms=2000)  # the row cap, not the byte cap, cuts here
    result = run_query(client=two_tenants[0], sql="SELECT * FROM v_commits a, v_commits b, v_commits c", caps=caps)

    assert result.truncated and result.row_count == caps.rows
    assert "first 50 rows" in result.notes[0]


def test_a_wide_result_is_cut_at_the_byte_cap(two_tenants):
    caps = Caps(rows=1000, bytes=2_000, timeout_ms=2000)
    result = run_query(client=two_tenants[0], sql="SELECT a.*, b.message AS m FROM v_commits a, v_commits b", caps=caps)

    assert result.truncated and 0 < result.row_count < 16 and "bytes" in result.notes[0]


def test_a_slow_query_is_stopped_at_the_time_cap(two_tenants):
    slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) SELECT count(*) FROM n"
    with pytest.raises(ExecutionError, match="longer than 500 ms"):
        run_query(client=two_tenants[0], sql=slow, caps=CAPS)
