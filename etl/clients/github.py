"""GitHub REST: pull requests with reviews and review comments, and commits with files.

Docs: https://docs.github.com/rest/pulls/pulls#list-pull-requests
      https://docs.github.com/rest/pulls/reviews#list-reviews-for-a-pull-request
      https://docs.github.com/rest/pulls/comments#list-review-comments-on-a-pull-request
      https://docs.github.com/rest/pulls/pulls#list-commits-on-a-pull-request
      https://docs.github.com/rest/commits/commits#list-commits / #get-a-commit
      https://docs.github.com/rest/git/refs#list-matching-references
      https://docs.github.com/rest/git/tags#get-a-tag
      https://docs.github.com/rest/releases/releases#list-releases
      https://docs.github.com/rest/repos/repos#get-a-repository
      https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api
Plain data out; no models.
"""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx

from etl.clients.http import SourceError, request_with_retries, seconds
from pulse.core.outbound import outbound_client

API = "https://api.github.com"
PER_PAGE = 100


@dataclass(frozen=True)
class GitHubConfig:
    token: str
    base_url: str = API
    timeout: float = 30.0


def _rate_limit_wait(response: httpx.Response) -> float | None:
    """Seconds to wait when the response is a rate limit, else None."""
    if response.status_code not in (403, 429):
        return None
    retry_after = seconds(response.headers.get("retry-after"))
    if retry_after is not None:  # secondary rate limit
        return retry_after
    if response.headers.get("x-ratelimit-remaining") == "0":
        reset = seconds(response.headers.get("x-ratelimit-reset"))
        return max(0.0, reset - time.time()) + 1 if reset else 60.0
    if response.status_code == 429:
        return 60.0  # GitHub: without headers, wait at least a minute
    return None  # a plain 403: no permission


class GitHubClient:
    def __init__(self, config: GitHubConfig, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self.sleep = sleep
        self.http = outbound_client(
            base_url=config.base_url.rstrip("/"),
            timeout=config.timeout,
            headers={
                "Authorization": f"Bearer {config.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "pulse-etl",
            },
        )

    @property
    def _origin(self) -> httpx.URL:
        return self.http.base_url.copy_with(path="/", query=None, fragment=None)

    def close(self) -> None:
        self.http.close()

    def _get(self, url: str, params: dict | None = None) -> httpx.Response:
        return request_with_retries(
            self.http,
            "GET",
            url,
            params=params,
            wait_for=_rate_limit_wait,
            describe=f"GitHub GET {url.split('?')[0]}",
            sleep=self.sleep,
        )

    def _json(self, response: httpx.Response):
        try:
            return response.json()
        except ValueError:
            raise SourceError(f"GitHub {response.request.url.path}: not JSON", permanent=True) from None

    def paginate(self, url: str, params: dict | None = None) -> Iterator[list[dict]]:
        """Pages of a list endpoint, following the `link` header's rel="next"."""
        response = self._get(url, {**(params or {}), "per_page": PER_PAGE})
        while True:
            page = self._json(response)
            if not isinstance(page, list):
                raise SourceError(f"GitHub {url}: expected a list, got {type(page).__name__}", permanent=True)
            yield page
            next_url = response.links.get("next", {}).get("url")
            if not next_url:
                return
            if httpx.URL(next_url).copy_with(path="/", query=None, fragment=None) != self._origin:
                # The token goes with every request: never follow a link to another host.
                raise SourceError(f"GitHub {url}: the next page is on another host", permanent=True)
            response = self._get(next_url)

    def check(self, repository: str) -> None:
        self._json(self._get(f"/repos/{repository}"))

    def pulls_updated_since(self, repository: str, since: str | None) -> Iterator[dict]:
        """Pull requests, most recently updated first, stopping at the first older than `since`."""
        for page in self.paginate(
            f"/repos/{repository}/pulls", {"state": "all", "sort": "updated", "direction": "desc"}
        ):
            for pr in page:
                if since and (pr.get("updated_at") or "") < since:
                    return
                yield pr

    def pull(self, repository: str, number: int) -> dict:
        """The full pull request (the list omits additions, deletions and changed files)."""
        return self._json(self._get(f"/repos/{repository}/pulls/{number}"))

    def reviews(self, repository: str, number: int) -> list[dict]:
        return [r for page in self.paginate(f"/repos/{repository}/pulls/{number}/reviews") for r in page]

    def review_comments(self, repository: str, number: int) -> list[dict]:
        return [c for page in self.paginate(f"/repos/{repository}/pulls/{number}/comments") for c in page]

    def pull_commit_shas(self, repository: str, number: int) -> list[str]:
        return [c["sha"] for page in self.paginate(f"/repos/{repository}/pulls/{number}/commits") for c in page]

    def commits_since(self, repository: str, since: str | None) -> Iterator[dict]:
        params = {"since": since} if since else {}
        for page in self.paginate(f"/repos/{repository}/commits", params):
            yield from page

    def commit(self, repository: str, sha: str) -> dict:
        return self._json(self._get(f"/repos/{repository}/commits/{sha}"))

    def repository(self, repository: str) -> dict:
        return self._json(self._get(f"/repos/{repository}"))

    def tag_refs(self, repository: str) -> list[dict]:
        """Every tag ref: {ref: "refs/tags/NAME", object: {type: "commit" | "tag", sha}}."""
        return [r for page in self.paginate(f"/repos/{repository}/git/matching-refs/tags") for r in page]

    def tag_object(self, repository: str, sha: str) -> dict:
        """An annotated tag: its tagger (with the date) and the object it points at."""
        return self._json(self._get(f"/repos/{repository}/git/tags/{sha}"))

    def releases(self, repository: str) -> Iterator[dict]:
        """Releases, newest first."""
        for page in self.paginate(f"/repos/{repository}/releases"):
            yield from page


def commit_record(data: dict) -> dict:
    """GitHub's commit object → the shape `normalize_commit` reads."""
    commit = data.get("commit") or {}
    author, committer = commit.get("author") or {}, commit.get("committer") or {}
    files = []
    for f in data.get("files") or []:
        entry = {"path": f.get("filename"), "additions": f.get("additions"), "deletions": f.get("deletions")}
        if f.get("previous_filename"):
            entry["previous_path"] = f["previous_filename"]
        files.append(entry)
    return {
        "sha": data.get("sha"),
        "parents": [p.get("sha") for p in data.get("parents") or []],
        "message": commit.get("message") or "",
        "author_name": author.get("name") or "",
        "authored_date": author.get("date"),
        "committer_name": committer.get("name") or "",
        "committed_date": committer.get("date"),
        "files": files,
        "stats": data.get("stats") or {},
    }
