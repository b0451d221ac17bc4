"""One repository's deployments from its history, in plain data (no models).

The rules, as the dashboard states them:
- A deployment is a release tag (`releases.release_version`; GitHub prereleases excluded), at its
  tagger date, else its GitHub release's publication date, else its commit's committed date. A
  repository may instead count each pull request merged into its default branch, at its merge.
- A deployment's commits are those reachable from its tag and from no earlier deployment: each
  commit counts once, in the first release containing it, so parallel release lines never count
  a commit twice. Merge commits are walked through but not counted (they change nothing).
- Lead time for changes: deployment time - each commit's authored time. A commit authored after
  its deployment (clock skew, rewritten dates) counts as 0 s and is reported.
- A deployment fails when a later deployment first includes a commit saying `This reverts commit
  <sha>` of one of its commits, or when a patch release of its major.minor follows within the
  repository's patch window (14 days by default). It is restored by the first later deployment
  holding the fix: the one that first includes the revert, or that patch release.
"""

import bisect
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from analytics.metrics.releases import major_minor, release_version
from etl.commit_graph import CommitGraph, claim_reachable

REVERT = re.compile(r"This reverts commit ([0-9a-fA-F]{7,40})")


@dataclass(frozen=True)
class History:
    """A repository's commits by graph node."""

    graph: CommitGraph
    authored: list[datetime | None]
    committed: list[datetime | None]
    merges: frozenset[int]  # recorded with two or more parents, whether or not Pulse holds them
    reverts: dict[int, list[str]]  # revert commit -> the (possibly abbreviated) shas it reverts


@dataclass(frozen=True)
class TagData:
    name: str
    sha: str
    tagged_at: datetime | None = None
    release_published_at: datetime | None = None
    commit_committed_at: datetime | None = None
    release_prerelease: bool = False
    base_shas: tuple[str, ...] = ()


@dataclass(frozen=True)
class Candidate:
    name: str
    sha: str
    deployed_at: datetime
    version: tuple[int, ...] | None  # None for a merged pull request
    starts: tuple[int, ...] = ()  # walk the history from these
    commits: tuple[int, ...] | None = None  # or exactly these commits (pull request mode)


@dataclass
class DeploymentResult:
    name: str
    sha: str
    deployed_at: datetime
    commit_count: int = 0
    lead_times: list[int] = field(default_factory=list)
    negative_lead_times: int = 0
    failed: bool = False
    failure_causes: list[dict] = field(default_factory=list)
    restored_at: datetime | None = None
    restored_by: str = ""


def reverted_shas(message: str) -> list[str]:
    return [sha.lower() for sha in REVERT.findall(message or "")]


def tag_candidates(tags: list[TagData], history: History) -> list[Candidate]:
    """Release tags with a known time. A tag whose commit Pulse never imported is walked from its
    merge bases with the imported branch (its own commits are unknown)."""
    out = []
    for tag in tags:
        version = release_version(tag.name)
        if version is None or tag.release_prerelease:
            continue
        node = history.graph.node(tag.sha)
        when = tag.tagged_at or tag.release_published_at or tag.commit_committed_at
        if when is None and node is not None:
            when = history.committed[node]
        if when is None:
            continue
        starts = (
            (node,) if node is not None else tuple(n for b in tag.base_shas if (n := history.graph.node(b)) is not None)
        )
        out.append(Candidate(tag.name, tag.sha, when, version, starts=starts))
    return out


def pull_request_candidates(pulls: list[tuple[int, datetime, list[str]]], history: History) -> list[Candidate]:
    """Merged pull requests (number, merged_at, commit shas) as deployments of their commits."""
    return [
        Candidate(
            f"#{number}",
            "",
            merged_at,
            None,
            commits=tuple(n for sha in shas if (n := history.graph.node(sha)) is not None),
        )
        for number, merged_at, shas in pulls
    ]


def _ordered(candidates: list[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=lambda c: (c.deployed_at, c.version or (), c.name))


def _claim(ordered: list[Candidate], history: History) -> tuple[list[DeploymentResult], dict[int, int]]:
    """Each deployment's first-shipped commits and their lead times; returns the owner of each commit."""
    claimed: dict[int, int] = {}
    results = []
    for position, candidate in enumerate(ordered):
        if candidate.commits is None:
            nodes = claim_reachable(history.graph, list(candidate.starts), claimed, position)
        else:
            nodes = [n for n in candidate.commits if n not in claimed]
            claimed.update(dict.fromkeys(nodes, position))
        result = DeploymentResult(candidate.name, candidate.sha, candidate.deployed_at)
        for node in nodes:
            if node in history.merges:
                continue
            result.commit_count += 1
            authored = history.authored[node]
            if authored is None:
                continue
            seconds = int((candidate.deployed_at - authored).total_seconds())
            result.negative_lead_times += seconds < 0
            result.lead_times.append(max(seconds, 0))
        result.lead_times.sort()
        results.append(result)
    return results, claimed


def _resolver(graph: CommitGraph):
    """Finds a commit by a full or abbreviated sha; an ambiguous prefix finds nothing."""
    ordered = sorted(graph.shas)

    def find(prefix: str) -> int | None:
        start = bisect.bisect_left(ordered, prefix)
        matches = ordered[start : start + 2]
        hits = [sha for sha in matches if sha.startswith(prefix)]
        return graph.index[hits[0]] if len(hits) == 1 else None

    return find


def _fail(results: list[DeploymentResult], failed: int, fixer: int, cause: dict) -> None:
    victim, fix = results[failed], results[fixer]
    victim.failed = True
    victim.failure_causes.append({**cause, "fixed_by": fix.name})
    if victim.restored_at is None or fix.deployed_at < victim.restored_at:
        victim.restored_at, victim.restored_by = fix.deployed_at, fix.name


def _revert_failures(results: list[DeploymentResult], claimed: dict[int, int], history: History) -> None:
    find = _resolver(history.graph)
    for revert_node, shas in sorted(history.reverts.items()):
        fixer = claimed.get(revert_node)
        if fixer is None:
            continue  # the revert is in no deployment yet
        for sha in shas:
            reverted = find(sha)
            owner = claimed.get(reverted) if reverted is not None else None
            if owner is not None and owner < fixer:
                cause = {
                    "kind": "revert",
                    "commit": history.graph.shas[reverted],
                    "revert": history.graph.shas[revert_node],
                }
                _fail(results, owner, fixer, cause)


def _patch_failures(ordered: list[Candidate], results: list[DeploymentResult], window: timedelta) -> None:
    for i, candidate in enumerate(ordered):
        if candidate.version is None:
            continue
        line = major_minor(candidate.version)
        for j in range(i + 1, len(ordered)):
            later = ordered[j]
            if later.deployed_at - candidate.deployed_at > window:
                break
            if later.version is not None and major_minor(later.version) == line and later.version > candidate.version:
                _fail(results, i, j, {"kind": "patch_release", "release": later.name})
                break


def compute_deployments(candidates: list[Candidate], history: History, *, patch_days: int) -> list[DeploymentResult]:
    """Deployments in time order with their commits, lead times, failures and restores."""
    ordered = _ordered(candidates)
    results, claimed = _claim(ordered, history)
    _revert_failures(results, claimed, history)
    _patch_failures(ordered, results, timedelta(days=patch_days))
    return results
