"""Jira → work items, comments and changelog. Incremental by `updated >= last sync`, pages
ordered by `created` so items do not move between pages mid-run."""

from collections import Counter
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from etl.clients.http import SourceError
from etl.clients.jira import JiraClient, JiraConfig
from etl.markup import clean
from etl.models import EtlRun, Project, SyncState, WorkItem, WorkItemChange, WorkItemComment
from etl.services.runs import run_count, vectorize_records
from etl.services.upsert import upsert_row, upsert_rows
from pulse.core.models import Integration

WORK_ITEM_FIELDS = (
    "project",
    "key",
    "summary",
    "description",
    "item_type",
    "priority",
    "status",
    "status_category",
    "labels",
    "components",
    "assignee",
    "reporter",
    "created",
    "updated",
    "resolved",
    "story_points",
    "parent_key",
    "epic_key",
    "raw",
)
OVERLAP_MINUTES = 1  # Jira's JQL has minute precision: look back a little, upserts absorb repeats


def _when(value) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) and value else None


def _name(value) -> str:
    return (value or {}).get("name", "") if isinstance(value, dict) else ""


def _person(value) -> str:
    return (value or {}).get("displayName", "") if isinstance(value, dict) else ""


def work_item_values(issue: dict, story_points_field: str = "") -> dict:
    """A search result issue → WorkItem values; SourceError for an issue Pulse cannot read."""
    fields = issue.get("fields")
    if not isinstance(fields, dict):
        raise SourceError(f"Jira issue {issue.get('key', '?')}: no fields in the payload", permanent=True)
    if not issue.get("id") or not issue.get("key"):
        raise SourceError("Jira page has an issue without id or key", permanent=True)
    status = fields.get("status") or {}
    parent = fields.get("parent") or {}
    parent_type = _name((parent.get("fields") or {}).get("issuetype"))
    points = fields.get(story_points_field) if story_points_field else None
    return {
        "key": issue["key"],
        "summary": fields.get("summary") or "",
        "description": clean(fields.get("description")),
        "item_type": _name(fields.get("issuetype")),
        "priority": _name(fields.get("priority")),
        "status": _name(status),
        "status_category": (status.get("statusCategory") or {}).get("key", ""),
        "labels": list(fields.get("labels") or []),
        "components": [_name(c) for c in fields.get("components") or []],
        "assignee": _person(fields.get("assignee")),
        "reporter": _person(fields.get("reporter")),
        "created": _when(fields.get("created")),
        "updated": _when(fields.get("updated")),
        "resolved": _when(fields.get("resolutiondate")),
        "story_points": float(points) if isinstance(points, int | float) else None,
        "parent_key": parent.get("key", ""),
        "epic_key": parent.get("key", "") if parent_type == "Epic" else "",
        "raw": issue,
    }


def _jql(integration: Integration, since: str | None) -> str:
    config = integration.configuration
    base = config.get("jql") or (
        "project in ({})".format(", ".join(config["project_keys"])) if config.get("project_keys") else ""
    )
    bound = f'updated >= "{since}"' if since else 'created >= "1970-01-01"'
    return f"({base}) AND {bound} ORDER BY created ASC" if base else f"{bound} ORDER BY created ASC"


def sync_jira(integration: Integration, state: SyncState, run: EtlRun) -> dict:
    config = integration.configuration
    credentials = integration.credentials
    client = JiraClient(
        JiraConfig(
            base_url=integration.base_url,
            email=credentials.get("email", ""),
            api_token=credentials.get("api_token", ""),
            story_points_field=config.get("story_points_field", ""),
        )
    )
    started = timezone.now() - timezone.timedelta(minutes=OVERLAP_MINUTES)
    try:
        for issues in client.search(_jql(integration, state.cursor.get("updated_since"))):
            rows = [
                (
                    work_item_values(i, config.get("story_points_field", "")),
                    client.comments(i["key"]),
                    client.changelog(i["key"]),
                    i,
                )
                for i in issues
            ]
            changed = _upsert_page(integration, rows, run)
            vectorize_records(client=integration.client, run=run, table_name="work_items", record_ids=changed)
    finally:
        client.close()
    return {**state.cursor, "updated_since": started.strftime("%Y-%m-%d %H:%M")}


@transaction.atomic
def _upsert_page(integration: Integration, rows: list, run: EtlRun) -> list[int]:
    """One page, all or nothing. Returns the ids of work items whose text may have changed."""
    tenant = integration.client
    counts: Counter = Counter()
    touched: list[int] = []
    comment_rows: list[dict] = []
    change_rows: list[dict] = []
    for values, comments, changes, issue in rows:
        project_key = (
            issue.get("projectKey")
            or ((issue["fields"].get("project") or {}).get("key"))
            or values["key"].rsplit("-", 1)[0]
        )
        project, _ = Project.objects.get_or_create(
            client=tenant, key=project_key, defaults={"name": _name(issue["fields"].get("project"))}
        )
        values["project"] = project
        item = upsert_row(
            WorkItem,
            client=tenant,
            lookup={"external_id": issue["id"]},
            values=values,
            compare=tuple(f for f in WORK_ITEM_FIELDS if f != "raw"),
            counts=counts,
        )
        comment_rows += [
            {
                "external_id": str(comment["id"]),
                "work_item": item,
                "author": _person(comment.get("author")),
                "body": clean(comment.get("body")),
                "created": _when(comment.get("created")),
                "updated": _when(comment.get("updated")),
            }
            for comment in comments
        ]
        change_rows += [
            {
                "external_id": str(history["id"]),
                "field": change.get("field", ""),
                "work_item": item,
                "from_value": change.get("fromString") or "",
                "to_value": change.get("toString") or "",
                "author": _person(history.get("author")),
                "created": _when(history.get("created")),
            }
            for history in changes
            for change in history.get("items") or []
        ]
        touched.append(item.pk)
    upsert_rows(WorkItemComment, client=tenant, rows=comment_rows, unique=("external_id",))
    upsert_rows(WorkItemChange, client=tenant, rows=change_rows, unique=("external_id", "field"))
    run_count(run, fetched=len(rows), **counts)
    return touched
