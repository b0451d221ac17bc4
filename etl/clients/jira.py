"""Jira Cloud REST v3: issues by JQL, their comments and changelog.

Docs: https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/#api-rest-api-3-search-jql-get
      https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-comments/#api-rest-api-3-issue-issueidorkey-comment-get
      https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-changelog-get
      https://developer.atlassian.com/cloud/jira/platform/rate-limiting/
`/search/jql` pages with `nextPageToken` (absent on the last page), returns no total, and returns
only ids unless `fields` is given. Plain data out; no models.
"""

import base64
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx

from etl.clients.http import SourceError, request_with_retries, seconds
from pulse.core.outbound import outbound_client

PAGE = 100
MAX_OFFSET_PAGES = 1000
FIELDS = [
    "summary",
    "description",
    "issuetype",
    "priority",
    "status",
    "labels",
    "components",
    "assignee",
    "reporter",
    "created",
    "updated",
    "resolutiondate",
    "parent",
    "project",
]


@dataclass(frozen=True)
class JiraConfig:
    base_url: str  # https://<site>.atlassian.net
    email: str
    api_token: str = field(repr=False)
    story_points_field: str = ""  # e.g. customfield_10016; sites differ
    timeout: float = 30.0


def _rate_limit_wait(response: httpx.Response) -> float | None:
    if response.status_code == 429 or (response.status_code == 503 and response.headers.get("retry-after")):
        wait = seconds(response.headers.get("retry-after"))
        if wait is None:
            reset = response.headers.get("x-ratelimit-reset")  # an ISO timestamp on Jira Cloud
            wait = 30.0 if reset else 10.0
        return wait
    return None


class JiraClient:
    def __init__(self, config: JiraConfig, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self.sleep = sleep
        basic = base64.b64encode(f"{config.email}:{config.api_token}".encode()).decode()
        self.http = outbound_client(
            base_url=config.base_url.rstrip("/"),
            timeout=config.timeout,
            headers={"Authorization": f"Basic {basic}", "Accept": "application/json"},
        )

    def close(self) -> None:
        self.http.close()

    def _get(self, path: str, params: dict) -> dict:
        response = request_with_retries(
            self.http,
            "GET",
            path,
            params=params,
            wait_for=_rate_limit_wait,
            describe=f"Jira GET {path}",
            sleep=self.sleep,
        )
        try:
            body = response.json()
        except ValueError:
            raise SourceError(f"Jira GET {path}: not JSON", permanent=True) from None
        if not isinstance(body, dict):
            raise SourceError(f"Jira GET {path}: expected an object", permanent=True)
        return body

    def myself(self) -> dict:
        return self._get("/rest/api/3/myself", {})

    def search(self, jql: str, fields: list[str] | None = None) -> Iterator[list[dict]]:
        """Pages of issues for `jql` (which should be bounded and `ORDER BY created`)."""
        fields = fields or [*FIELDS, *([self.config.story_points_field] if self.config.story_points_field else [])]
        token = None
        while True:
            params = {"jql": jql, "fields": ",".join(fields), "maxResults": PAGE}
            if token:
                params["nextPageToken"] = token
            page = self._get("/rest/api/3/search/jql", params)
            issues = page.get("issues")
            if not isinstance(issues, list):
                raise SourceError("Jira search: the page has no 'issues' list", permanent=True)
            yield issues
            token = page.get("nextPageToken")
            if not token or page.get("isLast") is True:
                return

    def _offset_pages(self, path: str, key: str) -> list[dict]:
        """startAt/maxResults paging. A short page ends it as surely as isLast or total do, and a
        hard cap stops a server that keeps answering with full pages of the same items."""
        items, start = [], 0
        for _ in range(MAX_OFFSET_PAGES):
            page = self._get(path, {"startAt": start, "maxResults": PAGE})
            values = page.get(key)
            if not isinstance(values, list):
                raise SourceError(f"Jira GET {path}: no '{key}' list", permanent=True)
            items.extend(values)
            start += len(values)
            total = page.get("total")
            if len(values) < PAGE or page.get("isLast") is True or (total is not None and start >= total):
                return items
        raise SourceError(f"Jira GET {path}: more than {MAX_OFFSET_PAGES} pages", permanent=True)

    def comments(self, issue_key: str) -> list[dict]:
        return self._offset_pages(f"/rest/api/3/issue/{issue_key}/comment", "comments")

    def changelog(self, issue_key: str) -> list[dict]:
        return self._offset_pages(f"/rest/api/3/issue/{issue_key}/changelog", "values")
