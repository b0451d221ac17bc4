"""Commits with per-file counts from a local git repository, with no API.

Plain data out, in the shape `etl.services.commits.normalize_commit` reads. Renames are detected
(`--find-renames`); binary files have null counts (git prints `-`). Incremental: only commits
after `since_sha` on the branch. Tags come with their peeled commit and, when annotated, their
tagger date (`iter_tags`).
"""

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

RECORD = "\x1e"  # separates commits in the output
FIELD = "\x1f"  # separates header fields
FORMAT = FIELD.join(["%H", "%P", "%an", "%aI", "%cn", "%cI", "%B"])


class GitSourceError(Exception):
    """The path is not a repository, the ref is unknown, or git failed."""

    permanent = True


def _git(path: Path, *args: str) -> str:
    executable = shutil.which("git")
    if executable is None:
        raise GitSourceError("git is not installed")
    try:
        done = subprocess.run(  # noqa: S603 - fixed git arguments, no shell
            [executable, "-C", str(path), *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
            encoding="utf-8",
            errors="replace",
        )
    except FileNotFoundError:
        raise GitSourceError(f"no directory at {path}") from None
    except subprocess.CalledProcessError as exc:
        raise GitSourceError(f"git {args[0]} failed: {exc.stderr.strip()[:300]}") from None
    return done.stdout


def head_sha(path: Path, ref: str = "HEAD") -> str:
    return _git(path, "rev-parse", "--verify", f"{ref}^{{commit}}").strip()


def branch_name(path: Path, ref: str = "HEAD") -> str:
    """The branch a ref names (`HEAD` -> the checked-out branch); empty for a detached head."""
    name = _git(path, "rev-parse", "--abbrev-ref", ref).strip()
    return "" if name == "HEAD" else name


def _rename(spec: str) -> tuple[str, str | None]:
    """numstat prints renames as `dir/{old => new}/file` or `old => new`."""
    if " => " not in spec:
        return spec, None
    if "{" in spec and "}" in spec:
        prefix, rest = spec.split("{", 1)
        inner, suffix = rest.split("}", 1)
        old, new = inner.split(" => ", 1)
        return (prefix + new + suffix).replace("//", "/"), (prefix + old + suffix).replace("//", "/")
    old, new = spec.split(" => ", 1)
    return new, old


def iter_commits(path: Path, *, ref: str = "HEAD", since_sha: str | None = None, tags: bool = False) -> Iterator[dict]:
    """Commits newest first, with files and stats. Merge commits come without files (git shows no
    diff for them: their changes are their parents'), so the history keeps its shape for
    reachability. `tags` adds the commits only tags reach (releases cut from maintenance branches)."""
    if not (Path(path) / ".git").exists() and _git(path, "rev-parse", "--is-inside-work-tree").strip() != "true":
        raise GitSourceError(f"{path} is not a git repository")
    head_sha(path, ref)  # a clear error for an unknown ref
    revisions = [ref, *(["--tags"] if tags else []), *([f"^{since_sha}"] if since_sha else [])]
    output = _git(path, "log", "--find-renames", "--numstat", f"--format={RECORD}{FORMAT}{FIELD}", *revisions)
    for chunk in output.split(RECORD)[1:]:
        sha, parents, author, authored, committer, committed, rest = chunk.split(FIELD, 6)
        message, _, numstat = rest.rpartition(FIELD)
        files, additions, deletions = [], 0, 0
        for line in numstat.strip().splitlines():
            if not line.strip():
                continue
            added, removed, spec = line.split("\t", 2)
            new_path, old_path = _rename(spec)
            entry = {
                "path": new_path,
                "additions": None if added == "-" else int(added),
                "deletions": None if removed == "-" else int(removed),
            }
            if old_path:
                entry["previous_path"] = old_path
            files.append(entry)
            additions += entry["additions"] or 0
            deletions += entry["deletions"] or 0
        yield {
            "sha": sha,
            "parents": parents.split(),
            "author_name": author,
            "authored_date": authored,
            "committer_name": committer,
            "committed_date": committed,
            "message": message.strip(),
            "files": files,
            "stats": {"files": len(files), "additions": additions, "deletions": deletions},
        }


TAG_FORMAT = "%1f".join(
    [
        "%(refname:strip=2)",
        "%(objecttype)",
        "%(objectname)",
        "%(*objecttype)",
        "%(*objectname)",
        "%(taggerdate:iso-strict)",
        "%(committerdate:iso-strict)",
        "%(*committerdate:iso-strict)",
    ]
)


def iter_tags(path: Path) -> Iterator[dict]:
    """Every tag that points at a commit: name, the commit (`sha`, peeled), the tag object
    (`object_sha`, annotated tags only), the tagger date and the commit's committed date."""
    for line in _git(path, "for-each-ref", "refs/tags", f"--format={TAG_FORMAT}").splitlines():
        if not line.strip():
            continue
        name, kind, sha, peeled_kind, peeled, tagger_date, committed, peeled_committed = line.split(FIELD)
        if kind == "tag" and peeled_kind == "commit":
            yield {
                "name": name,
                "sha": peeled,
                "object_sha": sha,
                "annotated": True,
                "tagger_date": tagger_date or None,
                "commit_committed_date": peeled_committed or None,
            }
        elif kind == "commit":
            yield {
                "name": name,
                "sha": sha,
                "object_sha": "",
                "annotated": False,
                "tagger_date": None,
                "commit_committed_date": committed or None,
            }
