"""Pull requests from git history alone, for sources without GitHub's API (a local clone, a
commits file).

A PR merge is a two-parent commit whose subject is `Merge pull request #N from owner/branch` or
ends in `(#N)`. Its commits are those reachable from its second parent and not from its first; its
first commit time is the earliest authored time among them; merged_at is the merge's committer
time. A number merged twice keeps its first merge time and the commits of both merges. Pull
requests synced from GitHub keep GitHub's data: their numbers are skipped here.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction

from etl.commit_graph import CommitGraph, build_graph, first_parent_chain, reachable_only_from
from etl.models import Commit, PullRequest, PullRequestCommit, Repository
from pulse.core.models import Client

MERGE_SUBJECT = re.compile(r"^Merge pull request #(\d+)(?: from (\S+))?")
TITLE_SUFFIX = re.compile(r"^(.*?)\s*\(#(\d+)\)\s*$")
FIELDS = ("title", "body", "state", "merged_at", "closed_at", "base_ref", "head_ref", "author", "raw")
CHUNK = 1000


@dataclass
class DerivedPull:
    number: int
    merge_sha: str
    merged_at: datetime | None
    style: str
    title: str
    body: str
    head_owner: str = ""
    head_branch: str = ""
    on_first_parent_chain: bool = False
    commits: set[str] = field(default_factory=set)


def parse_merge_message(message: str) -> tuple[int, str, str, str, str, str] | None:
    """(number, style, title, body, head owner, head branch) of a PR merge message, or None."""
    subject, _, rest = message.strip().partition("\n")
    subject = subject.strip()
    merged = MERGE_SUBJECT.match(subject)
    if merged:
        lines = [line for line in rest.splitlines() if line.strip()]
        owner, _, branch = (merged.group(2) or "").partition("/")
        title = lines[0].strip() if lines else subject  # 'Merge pull request' bodies are often empty
        return int(merged.group(1)), "merge_pull_request", title, "\n".join(lines[1:]).strip(), owner, branch
    titled = TITLE_SUFFIX.match(subject)
    if titled:
        return int(titled.group(2)), "pr_title", titled.group(1) or subject, rest.strip(), "", ""
    return None


def _graph(client: Client, repository: Repository) -> tuple[CommitGraph, dict[str, datetime | None], list, str | None]:
    """The repository's graph, each commit's authored time, its two-parent commits (parents as
    recorded, imported or not) and its newest tip (the fallback head)."""
    rows = list(
        Commit.objects.for_client(client)
        .filter(repository=repository)
        .values_list("sha", "parents", "authored_at", "committed_at")
        .iterator(chunk_size=5000)
    )
    graph = build_graph((sha, parents) for sha, parents, _, _ in rows)
    has_child = {parent for node_parents in graph.parents for parent in node_parents}
    tips = [(committed, sha) for sha, _, _, committed in rows if committed and graph.index[sha] not in has_child]
    merges = [(sha, parents) for sha, parents, _, _ in rows if len(parents or []) == 2]
    authored = {sha: authored for sha, _, authored, _ in rows}
    return graph, authored, merges, max(tips)[1] if tips else None


def _merge_commits(client: Client, repository: Repository, merges: list) -> list[tuple[str, list[str], str, datetime]]:
    """(sha, parents, message, committed_at) of the two-parent commits, messages read in chunks."""
    parents = dict(merges)
    out = []
    for start in range(0, len(merges), CHUNK):
        chunk = [sha for sha, _ in merges[start : start + CHUNK]]
        out.extend(
            (sha, parents[sha], message, committed_at)
            for sha, message, committed_at in Commit.objects.for_client(client)
            .filter(repository=repository, sha__in=chunk)
            .values_list("sha", "message", "committed_at")
        )
    return out


def derive_pulls(
    graph: CommitGraph, merges: list[tuple[str, list[str], str, datetime]], head: str | None
) -> dict[int, DerivedPull]:
    """The PRs those merges record, by number (plain data; see the module's rules). A merge whose
    second parent was never imported records a PR with no known commits."""
    chain = first_parent_chain(graph, graph.index[head]) if head in graph.index else set()
    pulls: dict[int, DerivedPull] = {}
    for sha, (first, second), message, committed_at in sorted(merges, key=lambda m: (m[3] is None, m[3], m[0])):
        parsed = parse_merge_message(message)
        if parsed is None:
            continue
        number, style, title, body, owner, branch = parsed
        brought = graph.node(second)
        commits = set() if brought is None else reachable_only_from(graph, brought, graph.node(first))
        pull = pulls.get(number)
        if pull is None:
            pull = pulls[number] = DerivedPull(number, sha, committed_at, style, title[:2000], body, owner, branch)
        pull.commits |= {graph.shas[n] for n in commits}
        pull.on_first_parent_chain |= graph.index[sha] in chain
    return pulls


def _values(pull: DerivedPull, authored: dict[str, datetime | None], default_branch: str) -> dict:
    times = [t for t in (authored.get(sha) for sha in pull.commits) if t is not None]
    first_commit = min(times) if times else None
    return {
        "title": pull.title,
        "body": pull.body,
        "state": "merged",
        "merged_at": pull.merged_at,
        "closed_at": pull.merged_at,
        "base_ref": default_branch if pull.on_first_parent_chain else "",
        "head_ref": pull.head_branch[:255],
        "author": "",
        "raw": {
            "derived_from": "git",
            "merge_sha": pull.merge_sha,
            "merge_style": pull.style,
            "head_owner": pull.head_owner,
            "on_first_parent_chain": pull.on_first_parent_chain,
            "first_commit_authored_at": first_commit.isoformat() if first_commit else None,
            "commit_count": len(pull.commits),
        },
    }


@transaction.atomic
def pull_requests_derive(*, client: Client, repository: Repository, head_sha: str | None = None) -> list[int]:
    """Create or update the repository's PRs from its merge commits, with their commit links.
    `head_sha` is the branch head (default: the newest commit no other commit has as parent); PRs
    on its first-parent chain get the repository's default branch as base. Returns the ids of the
    pull requests created or changed."""
    graph, authored, merges, newest_tip = _graph(client, repository)
    pulls = derive_pulls(graph, _merge_commits(client, repository, merges), head_sha or newest_tip)
    existing = {pr.number: pr for pr in PullRequest.objects.for_client(client).filter(repository=repository)}
    new, changed = [], []
    for number, pull in pulls.items():
        values = _values(pull, authored, repository.default_branch)
        current = existing.get(number)
        if current is None:
            new.append(PullRequest(client=client, repository=repository, number=number, **values))
        elif current.external_id:
            continue  # synced from GitHub: GitHub's data wins
        elif any(getattr(current, f) != values[f] for f in FIELDS):
            for f, value in values.items():
                setattr(current, f, value)
            changed.append(current)
    PullRequest.objects.bulk_create(new, batch_size=500)
    PullRequest.objects.bulk_update(changed, FIELDS, batch_size=500)
    ids = dict(
        PullRequest.objects.for_client(client)
        .filter(repository=repository, number__in=[p.number for p in [*new, *changed]])
        .values_list("number", "pk")
    )
    PullRequestCommit.objects.bulk_create(
        [
            PullRequestCommit(client=client, pull_request_id=ids[pr.number], sha=sha)
            for pr in [*new, *changed]
            for sha in sorted(pulls[pr.number].commits)
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    return sorted(ids.values())
