"""Exact identifiers in a question (Jira keys, pull request numbers, commit SHAs) and the records
they name: a question that names GROOVY-123 must see GROOVY-123 first, whatever search ranks."""

import re

from django.db.models import Q

from etl.models import Commit, JiraKeyLink, PullRequest, WorkItem
from pulse.core.models import Client

JIRA_KEY = re.compile(r"\b[A-Z][A-Z0-9]{1,9}-\d{1,7}\b")
PR_NUMBER = re.compile(r"(?:#|\b(?:PR|pull request)\s*#?\s*)(\d{1,7})\b", re.IGNORECASE)
SHA = re.compile(r"\b[0-9a-f]{7,40}\b")
MAX_PER_IDENTIFIER = 5


def identifiers_in(question: str) -> dict[str, list[str]]:
    shas = [s for s in SHA.findall(question) if re.search(r"\d", s) and re.search(r"[a-f]", s)]
    return {
        "jira_keys": sorted(set(JIRA_KEY.findall(question))),
        "pr_numbers": sorted(set(PR_NUMBER.findall(question)), key=int),
        "shas": sorted(set(shas)),
    }


def identifier_records(*, client: Client, question: str) -> list[tuple[str, int]]:
    """(table, record id) of the records the question names, most direct first: the work item with
    a key, then the commits and pull requests that mention it; pull requests by number; commits
    by SHA prefix. Tenant-scoped like every read."""
    found: list[tuple[str, int]] = []
    names = identifiers_in(question)
    for key in names["jira_keys"]:
        found += [
            ("work_items", pk)
            for pk in WorkItem.objects.for_client(client).filter(key=key).values_list("pk", flat=True)[:1]
        ]
        links = JiraKeyLink.objects.for_client(client).filter(jira_key=key).order_by("pk")[:MAX_PER_IDENTIFIER]
        for commit_id, pr_id in links.values_list("commit_id", "pull_request_id"):
            found.append(("commits", commit_id) if commit_id else ("pull_requests", pr_id))
    for number in names["pr_numbers"]:
        prs = PullRequest.objects.for_client(client).filter(number=int(number)).order_by("-merged_at", "pk")
        found += [("pull_requests", pk) for pk in prs.values_list("pk", flat=True)[:MAX_PER_IDENTIFIER]]
    if names["shas"]:
        prefix = Q()
        for sha in names["shas"]:
            prefix |= Q(sha__startswith=sha)
        found += [
            ("commits", pk)
            for pk in Commit.objects.for_client(client).filter(prefix).values_list("pk", flat=True)[:MAX_PER_IDENTIFIER]
        ]
    return list(dict.fromkeys(found))
