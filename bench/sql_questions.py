"""The SQL agent's benchmark questions over pallets/flask (commits, derived pull requests, tags) and
apache/groovy (commits), with gold SQL over the semantic layer's views (PostgreSQL). Written
without looking at the shipped pairs' wording, and never used to tune the matching rules or the
threshold: they are paraphrases a person might type. `None` gold: the data cannot answer it, and
the right answer is a refusal. `kind`: "pair-like" (a shipped pair covers it) or "novel" (only
generation can answer it), a label written with the question, before any run."""

SIX_MONTHS = "now() - interval '6 months'"
THREE_MONTHS = "now() - interval '3 months'"
FLASK = "repository_id = (SELECT id FROM v_repositories WHERE full_name = 'pallets/flask')"
GROOVY = "repository_id = (SELECT id FROM v_repositories WHERE full_name = 'apache/groovy')"
PG_WEEK = "to_char(date_trunc('week', {}), 'YYYY-MM-DD')"
PG_MONTH = "to_char(date_trunc('month', {}), 'YYYY-MM')"
TOP_AUTHORS = "SELECT author_name, count(*) FROM v_commits WHERE {} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10"

QUESTIONS = [
    ("pair-like", "How many commits are there in total?", "SELECT count(*) FROM v_commits"),
    ("pair-like", "Count the commits in apache/groovy", f"SELECT count(*) FROM v_commits WHERE {GROOVY}"),
    ("pair-like", "How many commits did Paul King author?", "SELECT count(*) FROM v_commits WHERE author_name = 'Paul King'"),
    ("pair-like", "How many commits has Armin Ronacher made to flask?",
     f"SELECT count(*) FROM v_commits WHERE author_name = 'Armin Ronacher' AND {FLASK}"),
    ("pair-like", "Number of commits over the last 6 months",
     f"SELECT count(*) FROM v_commits WHERE committed_at >= {SIX_MONTHS}"),
    ("pair-like", "Who are the authors with the most commits?", TOP_AUTHORS.format("true")),
    ("pair-like", "Which authors committed the most to pallets/flask?", TOP_AUTHORS.format(FLASK)),
    ("pair-like", "Which developers made the most commits in the last 3 months?",
     TOP_AUTHORS.format(f"committed_at >= {THREE_MONTHS}")),
    ("pair-like", "How many different people have authored commits?", "SELECT count(DISTINCT author_name) FROM v_commits"),
    ("pair-like", "How many contributors does flask have?", f"SELECT count(DISTINCT author_name) FROM v_commits WHERE {FLASK}"),
    ("pair-like", "Monthly number of commits in apache/groovy",
     f"SELECT {PG_MONTH.format('committed_at')}, count(*) FROM v_commits WHERE {GROOVY} GROUP BY 1"),
    ("pair-like", "How many commits were made each week over the past 3 months?",
     f"SELECT {PG_WEEK.format('committed_at')}, count(*) FROM v_commits WHERE committed_at >= {THREE_MONTHS} GROUP BY 1"),
    ("pair-like", "Commit count for each repository",
     "SELECT r.full_name, count(*) FROM v_commits c JOIN v_repositories r ON r.id = c.repository_id GROUP BY 1"),
    ("pair-like", "How many lines were added and removed in groovy?",
     f"SELECT sum(additions), sum(deletions) FROM v_commits WHERE {GROOVY}"),
    ("pair-like", "What files change most often in pallets/flask?",
     f"SELECT path, count(*) FROM v_commit_files WHERE {FLASK} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10"),
    ("pair-like", "Which files did Daniel Sun change most often?",
     "SELECT path, count(*) FROM v_commit_files WHERE author_name = 'Daniel Sun' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10"),
    ("pair-like", "What were the biggest commits by lines changed?",
     "SELECT sha, author_name, coalesce(additions, 0) + coalesce(deletions, 0) AS n FROM v_commits "
     "ORDER BY n DESC, sha LIMIT 10"),
    ("pair-like", "How many pull requests were merged in flask?",
     f"SELECT count(*) FROM v_pull_requests WHERE merged_at IS NOT NULL AND {FLASK}"),
    ("pair-like", "How many PRs got merged?", "SELECT count(*) FROM v_pull_requests WHERE merged_at IS NOT NULL"),
    ("pair-like", "Merged pull requests per week",
     f"SELECT {PG_WEEK.format('merged_at')}, count(*) FROM v_pull_requests WHERE merged_at IS NOT NULL GROUP BY 1"),
    ("pair-like", "Who opened the most PRs?",
     "SELECT author, count(*) FROM v_pull_requests GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10"),
    ("pair-like", "What is the mean time to merge a PR, in hours?",
     "SELECT round(CAST(avg(extract(epoch FROM merged_at - created) / 3600.0) AS numeric), 1) FROM v_pull_requests "
     "WHERE merged_at IS NOT NULL"),
    ("pair-like", "How many releases has flask had?", f"SELECT count(*) FROM v_releases WHERE {FLASK}"),
    ("pair-like", "Show the most recent releases",
     "SELECT name, coalesce(tagged_at, commit_committed_at) AS t FROM v_releases ORDER BY t DESC, name LIMIT 10"),
    ("pair-like", "How many releases were there in the last 24 months?",
     "SELECT count(*) FROM v_releases WHERE coalesce(tagged_at, commit_committed_at) >= now() - interval '24 months'"),
    ("pair-like", "How many pull requests are still open?", "SELECT count(*) FROM v_pull_requests WHERE state = 'open'"),
    ("pair-like", "How many commits did Eric Milles make in the last 6 months?",
     f"SELECT count(*) FROM v_commits WHERE author_name = 'Eric Milles' AND committed_at >= {SIX_MONTHS}"),
    ("pair-like", "Weekly commit counts for flask", f"SELECT {PG_WEEK.format('committed_at')}, count(*) FROM v_commits "
     f"WHERE {FLASK} GROUP BY 1"),
    ("novel", "Which commit has the longest message?",
     "SELECT sha FROM v_commits ORDER BY length(message) DESC, sha LIMIT 1"),
    ("novel", "How many commit messages mention a GROOVY- issue key?",
     "SELECT count(*) FROM v_commits WHERE message LIKE '%GROOVY-%'"),
    ("novel", "On which day of the week are the most commits made?",
     "SELECT extract(dow FROM committed_at) AS d, count(*) FROM v_commits GROUP BY 1 ORDER BY 2 DESC LIMIT 1"),
    ("novel", "How many commits did each author make in 2025?",
     "SELECT author_name, count(*) FROM v_commits WHERE committed_at >= '2025-01-01' AND committed_at < '2026-01-01' "
     "GROUP BY 1"),
    ("novel", "What is the average number of files changed per commit?",
     "SELECT round(CAST(avg(n) AS numeric), 2) FROM (SELECT commit_id, count(*) AS n FROM v_commit_files GROUP BY 1) s"),
    ("novel", "Which year had the most commits in flask?",
     f"SELECT extract(year FROM committed_at) AS y, count(*) FROM v_commits WHERE {FLASK} GROUP BY 1 "
     "ORDER BY 2 DESC LIMIT 1"),
    ("novel", "How many tags are annotated?", "SELECT count(*) FROM v_releases WHERE annotated"),
    ("novel", "When was the first commit of apache/groovy made?", f"SELECT min(committed_at) FROM v_commits WHERE {GROOVY}"),
    ("novel", "How many commits were committed by someone other than their author?",
     "SELECT count(*) FROM v_commits WHERE author_name <> committer_name"),
    ("novel", "How many pull requests target the main branch?",
     "SELECT count(*) FROM v_pull_requests WHERE base_ref = 'main'"),
    ("unanswerable", "What is our test coverage?", None),
    ("unanswerable", "How much did our cloud bill cost last month?", None),
    ("unanswerable", "Which customers reported the most bugs?", None),
    ("unanswerable", "What is the salary of Paul King?", None),
    ("unanswerable", "How many production incidents did we have this quarter?", None),
    ("unanswerable", "What is the average CPU usage of the build servers?", None),
    ("unanswerable", "How many users signed up last week?", None),
]  # fmt: skip
