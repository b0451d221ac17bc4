"""A git repository built by the tests, with every date fixed, for exact delivery metrics.

History (UTC; `a` = authored, `c` = committed when it differs):

    main:  c1 ── c2 ─────── m1 ── c3 ── c4 ──────── m2 ── c5 ── m3 ── c6 ── c7
                 │  \\       │           \\           │         /
                 │   a1 ── a2            b1 ────────┘         /
                 │   (PR #1, "Merge pull request")            /
                 │                     (PR #2, "... (#2)")   /
    release-1.2.x:                          m2 ── h1 ────────┘ ── h2

    v1.0.0  annotated at c2, tagged 01-07 12:00      1.2.1  lightweight at h1 (c 01-22 10:00)
    1.1.0   lightweight at c3 (c 01-14 09:00)        1.3.0  annotated at m3, tagged 02-02 12:00
    1.2.0   annotated at m2, tagged 01-20 12:00      1.2.2  lightweight at h2 (c 02-09 10:00), only on the branch
    v2.0.0  annotated at c7, tagged 02-16 12:00      2.0.0rc1 prerelease at c6; 1.2.x archive tag at h2

c4 reverts c3 (`git revert`); c7 was authored after v2.0.0 was tagged (a negative lead time).
"""

import os
import shutil
import subprocess
from pathlib import Path

GIT = shutil.which("git")


class Repo:
    def __init__(self, path: Path):
        self.path = path
        self.shas: dict[str, str] = {}

    def git(self, *args: str, at: str = "2026-01-01 00:00", authored: str | None = None) -> str:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(self.path),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Ada",
            "GIT_AUTHOR_EMAIL": "ada@example.org",
            "GIT_COMMITTER_NAME": "Bob",
            "GIT_COMMITTER_EMAIL": "bob@example.org",
            "GIT_AUTHOR_DATE": f"{authored or at} +0000",
            "GIT_COMMITTER_DATE": f"{at} +0000",
        }
        done = subprocess.run([GIT, "-C", str(self.path), *args], check=True, capture_output=True, text=True, env=env)
        return done.stdout.strip()

    def commit(self, name: str, message: str, *, at: str, authored: str | None = None) -> str:
        (self.path / f"{name}.txt").write_text(f"{name}\n")
        self.git("add", "-A", at=at)
        self.git("commit", "-q", "-m", message, at=at, authored=authored)
        self.shas[name] = self.git("rev-parse", "HEAD")
        return self.shas[name]

    def merge(self, name: str, branch: str, message: str, *, at: str) -> str:
        self.git("merge", "-q", "--no-ff", branch, "-m", message, at=at)
        self.shas[name] = self.git("rev-parse", "HEAD")
        return self.shas[name]


def build_release_repo(path: Path) -> Repo:
    path.mkdir()
    repo = Repo(path)
    repo.git("init", "-q", "-b", "main")
    repo.commit("c1", "Initial commit", at="2026-01-05 09:00")
    repo.commit("c2", "Add the parser", at="2026-01-06 09:00")
    repo.git("tag", "-a", "v1.0.0", "-m", "First release", at="2026-01-07 12:00")

    repo.git("checkout", "-q", "-b", "feature-a")
    repo.commit("a1", "Exporter: CSV", at="2026-01-08 10:00")
    repo.commit("a2", "Exporter: JSON", at="2026-01-09 10:00")
    repo.git("checkout", "-q", "main")
    repo.merge("m1", "feature-a", "Merge pull request #1 from ada/feature-a\n\nAdd the exporter", at="2026-01-12 10:00")
    repo.commit("c3", "Add caching", at="2026-01-14 09:00", authored="2026-01-13 09:00")
    repo.git("tag", "1.1.0", at="2026-01-14 09:00")

    repo.git("revert", "--no-edit", repo.shas["c3"], at="2026-01-15 10:00")
    repo.shas["c4"] = repo.git("rev-parse", "HEAD")
    repo.git("checkout", "-q", "-b", "feature-b")
    repo.commit("b1", "Metrics endpoint", at="2026-01-16 10:00")
    repo.git("checkout", "-q", "main")
    repo.merge("m2", "feature-b", "Add metrics endpoint (#2)", at="2026-01-19 11:00")
    repo.git("tag", "-a", "1.2.0", "-m", "1.2.0", at="2026-01-20 12:00")

    repo.git("checkout", "-q", "-b", "release-1.2.x")
    repo.commit("h1", "Fix a crash on empty input", at="2026-01-22 10:00", authored="2026-01-21 08:00")
    repo.git("tag", "1.2.1", at="2026-01-22 10:00")
    repo.git("checkout", "-q", "main")
    repo.commit("c5", "Add the plugin API", at="2026-01-23 09:00")
    repo.merge("m3", "release-1.2.x", "Merge branch 'release-1.2.x'", at="2026-01-26 09:00")
    repo.git("tag", "-a", "1.3.0", "-m", "1.3.0", at="2026-02-02 12:00")

    repo.git("checkout", "-q", "release-1.2.x")
    repo.commit("h2", "Backport a security fix", at="2026-02-09 10:00", authored="2026-02-05 08:00")
    repo.git("tag", "1.2.2", at="2026-02-09 10:00")
    repo.git("tag", "-a", "1.2.x", "-m", "Archive of the 1.2 line", at="2026-03-01 12:00")
    repo.git("checkout", "-q", "main")
    repo.git("branch", "-q", "-D", "release-1.2.x")  # the line survives only in its tags
    repo.commit("c6", "Drop Python 3.9", at="2026-02-10 09:00")
    repo.git("tag", "-a", "2.0.0rc1", "-m", "2.0.0rc1", at="2026-02-11 12:00")
    repo.commit("c7", "Polish the release notes", at="2026-02-12 09:00", authored="2026-02-20 09:00")
    repo.git("tag", "-a", "v2.0.0", "-m", "2.0.0", at="2026-02-16 12:00")
    return repo
