"""The question/SQL pairs Pulse ships for common engineering questions, in both dialects.

Parameters are bound from the asked question (see `analytics.sql.pairs`): :since (the start of a
window the question names, else NULL: all time), :repository (a repository's full name) and
:person (an author, reviewer or assignee). Each filter reads "NULL means no filter".
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Pair:
    question: str
    postgres: str
    sqlite: str
    source: str = "curated"
    pk: int | None = None

    def sql_for(self, dialect: str) -> str:
        return self.postgres if dialect == "postgres" else self.sqlite


def _when(column: str) -> str:
    return f"(:since IS NULL OR {column} >= :since)"


def _who(column: str) -> str:
    return f"(:person IS NULL OR {column} = :person)"


def _repo(column: str = "repository_id") -> str:
    return f"(:repository IS NULL OR {column} IN (SELECT id FROM v_repositories WHERE full_name = :repository))"


COMMITS = f"{_when('committed_at')} AND {_who('author_name')} AND {_repo()}"
PULLS_MERGED = f"merged_at IS NOT NULL AND {_when('merged_at')} AND {_who('author')} AND {_repo()}"
PULLS_OPENED = f"{_when('created')} AND {_who('author')} AND {_repo()}"
REVIEWS = (
    f"{_when('submitted_at')} AND {_who('author')} AND "
    f"(:repository IS NULL OR pull_request_id IN (SELECT id FROM v_pull_requests WHERE {_repo()}))"
)
ISSUES = f"{_when('created')} AND {_who('assignee')}"
RELEASES = f"{_when('coalesce(tagged_at, commit_committed_at)')} AND {_repo()}"
PG_HOURS = "extract(epoch FROM merged_at - created) / 3600.0"
LITE_HOURS = "(julianday(merged_at) - julianday(created)) * 24"
PG_WEEK = "to_char(date_trunc('week', {}), 'YYYY-MM-DD')"
LITE_WEEK = "date({}, 'weekday 0', '-6 days')"
PG_MONTH = "to_char(date_trunc('month', {}), 'YYYY-MM')"
LITE_MONTH = "strftime('%Y-%m', {})"


def _both(question: str, sql: str) -> Pair:
    return Pair(question, sql, sql)


def _series(question: str, view: str, column: str, where: str, label: str, counted: str, period: str) -> Pair:
    pg, lite = (PG_WEEK, LITE_WEEK) if period == "week" else (PG_MONTH, LITE_MONTH)
    template = (
        "SELECT {bucket} AS {label}, count(*) AS {counted} FROM {view} WHERE {column} IS NOT NULL AND {where} "
        "GROUP BY 1 ORDER BY 1"
    )
    fields = {"label": label, "counted": counted, "view": view, "column": column, "where": where}
    return Pair(
        question,
        template.format(bucket=pg.format(column), **fields),
        template.format(bucket=lite.format(column), **fields),
    )


PAIRS = (
    _both("How many commits were made?", f"SELECT count(*) AS commits FROM v_commits WHERE {COMMITS}"),
    _series("How many commits were made per week?", "v_commits", "committed_at", COMMITS, "week", "commits", "week"),
    _series("How many commits were made per month?", "v_commits", "committed_at", COMMITS, "month", "commits", "month"),
    _both(
        "Which authors made the most commits?",
        f"SELECT author_name, count(*) AS commits FROM v_commits WHERE {COMMITS} "
        "GROUP BY author_name ORDER BY commits DESC, author_name LIMIT 10",
    ),
    _both(
        "How many people authored commits?",
        f"SELECT count(DISTINCT author_name) AS authors FROM v_commits WHERE {COMMITS}",
    ),
    _both(
        "How many commits were made in each repository?",
        "SELECT r.full_name AS repository, count(*) AS commits FROM v_commits c JOIN v_repositories r "
        f"ON r.id = c.repository_id WHERE {_when('c.committed_at')} AND {_who('c.author_name')} AND "
        f"{_repo('c.repository_id')} GROUP BY r.full_name ORDER BY commits DESC, repository",
    ),
    _both(
        "How many lines were added and deleted?",
        f"SELECT sum(additions) AS lines_added, sum(deletions) AS lines_deleted FROM v_commits WHERE {COMMITS}",
    ),
    _both(
        "Which files were changed most often?",
        f"SELECT path, count(*) AS changes FROM v_commit_files WHERE {COMMITS} "
        "GROUP BY path ORDER BY changes DESC, path LIMIT 10",
    ),
    _both(
        "Which commits changed the most lines?",
        "SELECT sha, author_name, coalesce(additions, 0) + coalesce(deletions, 0) AS lines_changed "
        f"FROM v_commits WHERE {COMMITS} ORDER BY lines_changed DESC, sha LIMIT 10",
    ),
    _both(
        "How many pull requests were merged?",
        f"SELECT count(*) AS merged_pull_requests FROM v_pull_requests WHERE {PULLS_MERGED}",
    ),
    _series(
        "How many pull requests were merged per week?",
        *("v_pull_requests", "merged_at", PULLS_MERGED, "week", "merged_pull_requests", "week"),
    ),
    _both(
        "Who opened the most pull requests?",
        f"SELECT author, count(*) AS pull_requests FROM v_pull_requests WHERE {PULLS_OPENED} "
        "GROUP BY author ORDER BY pull_requests DESC, author LIMIT 10",
    ),
    _both(
        "How many pull requests are open?",
        f"SELECT count(*) AS open_pull_requests FROM v_pull_requests WHERE state = 'open' AND {PULLS_OPENED}",
    ),
    Pair(
        "What is the average time to merge a pull request, in hours?",
        f"SELECT round(CAST(avg({PG_HOURS}) AS numeric), 1) AS average_hours_to_merge FROM v_pull_requests "
        f"WHERE {PULLS_MERGED}",
        f"SELECT round(avg({LITE_HOURS}), 1) AS average_hours_to_merge FROM v_pull_requests WHERE {PULLS_MERGED}",
    ),
    Pair(
        "Which pull requests took the longest to merge?",
        f"SELECT number, title, round(CAST({PG_HOURS} AS numeric), 1) AS hours_to_merge FROM v_pull_requests "
        f"WHERE {PULLS_MERGED} ORDER BY hours_to_merge DESC, number LIMIT 10",
        f"SELECT number, title, round({LITE_HOURS}, 1) AS hours_to_merge FROM v_pull_requests "
        f"WHERE {PULLS_MERGED} ORDER BY hours_to_merge DESC, number LIMIT 10",
    ),
    _both(
        "Who reviewed the most pull requests?",
        "SELECT author AS reviewer, count(DISTINCT pull_request_id) AS pull_requests_reviewed "
        f"FROM v_pull_request_reviews WHERE {REVIEWS} GROUP BY author "
        "ORDER BY pull_requests_reviewed DESC, reviewer LIMIT 10",
    ),
    _both("How many releases were there?", f"SELECT count(*) AS releases FROM v_releases WHERE {RELEASES}"),
    _both(
        "What are the most recent releases?",
        "SELECT name, coalesce(tagged_at, commit_committed_at) AS released_at FROM v_releases "
        f"WHERE {RELEASES} ORDER BY released_at DESC, name LIMIT 10",
    ),
    _both(
        "How many issues are there in each status?",
        f"SELECT status, count(*) AS issues FROM v_work_items WHERE {ISSUES} GROUP BY status "
        "ORDER BY issues DESC, status",
    ),
    _series("How many issues were created per week?", "v_work_items", "created", ISSUES, "week", "issues", "week"),
    _both(
        "Who has the most open issues assigned?",
        "SELECT assignee, count(*) AS open_issues FROM v_work_items WHERE status_category <> 'Done' AND "
        f"{ISSUES} GROUP BY assignee ORDER BY open_issues DESC, assignee LIMIT 10",
    ),
    _both(
        "How many issues were resolved?",
        f"SELECT count(*) AS resolved_issues FROM v_work_items WHERE resolved IS NOT NULL AND {ISSUES}",
    ),
)
