"""The rules in plain data: which names are releases, when a release happened, which merge
messages record a pull request, and the DevLake levels at their edges."""

from datetime import UTC, datetime

import pytest

from analytics.metrics import buckets
from analytics.metrics.deployments import History, TagData, tag_candidates
from analytics.metrics.releases import major_minor, release_version
from etl.commit_graph import build_graph, reachable_only_from
from etl.services.pull_derivation import parse_merge_message


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("2.3.1", (2, 3, 1)),
        ("v1.0", (1, 0)),
        ("0.1", (0, 1)),
        ("2.0.0rc1", None),
        ("1.0a1", None),
        ("3.0.0.dev0", None),
        ("2.3.x", None),
        ("release-1.0", None),
    ],
)
def test_release_names(name, version):
    assert release_version(name) == version


def test_release_lines():
    assert major_minor((1,)) == major_minor((1, 0, 3)) == (1, 0)


def test_a_release_happens_at_its_tagger_date_else_its_github_release_else_its_commit():
    graph = build_graph([("c1", []), ("c2", ["c1"])])
    history = History(
        graph=graph,
        authored=[None, None],
        committed=[datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)],
        merges=frozenset(),
        reverts={},
    )
    tagged, published, committed = (datetime(2026, 2, d, tzinfo=UTC) for d in (1, 2, 3))
    tags = [
        TagData("1.0", "c1", tagged_at=tagged, release_published_at=published, commit_committed_at=committed),
        TagData("1.1", "c1", release_published_at=published, commit_committed_at=committed),
        TagData("1.2", "c2", commit_committed_at=committed),
        TagData("1.3", "c2"),
        TagData("1.4", "c2", release_prerelease=True),  # GitHub says prerelease
        TagData("1.5", "unknown"),  # a commit Pulse never imported, no merge bases, no date
    ]

    candidates = {c.name: c.deployed_at for c in tag_candidates(tags, history)}

    assert candidates == {"1.0": tagged, "1.1": published, "1.2": committed, "1.3": datetime(2026, 1, 2, tzinfo=UTC)}


@pytest.mark.parametrize(
    ("message", "parsed"),
    [
        (
            "Merge pull request #12 from ada/fix-login\n\nFix the login form\n\nDetails",
            (12, "merge_pull_request", "Fix the login form", "Details", "ada", "fix-login"),
        ),
        ("Merge pull request #5754", (5754, "merge_pull_request", "Merge pull request #5754", "", "", "")),
        ("Add metrics (#2)\n\nBody", (2, "pr_title", "Add metrics", "Body", "", "")),
        ("Merge branch 'stable'", None),
        ("Fix #3 in the parser", None),
    ],
)
def test_merge_messages_that_record_a_pull_request(message, parsed):
    assert parse_merge_message(message) == parsed


def test_a_merges_commits_are_those_only_its_second_parent_reaches():
    # main: a - b - m (merge of x - y, branched from a); y is also merged into z later.
    graph = build_graph([("a", []), ("b", ["a"]), ("x", ["a"]), ("y", ["x"]), ("m", ["b", "y"]), ("z", ["m", "y"])])
    node = graph.index

    assert {graph.shas[n] for n in reachable_only_from(graph, node["y"], node["b"])} == {"x", "y"}
    assert reachable_only_from(graph, node["y"], node["m"]) == []  # already merged: nothing new
    assert {graph.shas[n] for n in reachable_only_from(graph, node["m"], None)} == {"a", "b", "x", "y", "m"}


def test_devlake_levels_at_their_edges():
    assert buckets.frequency_level(7, 30) == "elite" and buckets.frequency_level(1, 4) == "high"
    assert buckets.frequency_level(0.5, 1) == "medium" and buckets.frequency_level(0, 0.5) == "low"
    day = buckets.DAY
    assert buckets.lead_time_level(day - 1) == "elite" and buckets.lead_time_level(day) == "high"
    assert buckets.lead_time_level(30 * day) == "low" and buckets.restore_level(3599) == "elite"
    assert buckets.failure_rate_level(0.05) == "elite" and buckets.failure_rate_level(0.1500001) == "low"
    assert buckets.percentile([1, 2, 3, 4], 75) == 3.25 and buckets.median([]) is None
