"""The semantic layer: one view per business entity, generated from the Django models.

Every view's columns are the model's concrete fields (the tenant column, raw payloads and JSON
blobs aside), so a model change changes the view: the views are dropped before and recreated
after every `migrate` (see `analytics.apps`), and `manage.py sql_layer` rebuilds them by hand.
A view's description, its columns' descriptions (the field's help text, else an override, else
its verbose name) and its joins (its foreign keys to other views) are what the agent is shown.

Each view exposes only one tenant's rows. On PostgreSQL the views are permanent, security
barrier views filtered on the transaction-local setting `pulse.client_id`; on SQLite they are
temporary views created on the agent's own read-only connection with the tenant's id in them.
"""

from dataclasses import dataclass, field

from django.db import models

from analytics.models import Deployment, PullRequestFlow
from etl.models import (
    Commit,
    Project,
    PullRequest,
    PullRequestComment,
    PullRequestReview,
    Repository,
    Tag,
    WorkItem,
    WorkItemChange,
    WorkItemComment,
)

TENANT_SETTING = "pulse.client_id"
TOKEN_SETTING = "pulse.scope_token"
SCOPE_TABLE = "pulse_sql_scope"  # one secret; no grant to anyone but its owner
# PostgreSQL: the tenant is the setting, and only if the setting carries the token derived from the
# secret, so a query that calls set_config itself (were the guard ever bypassed) cannot name another
# tenant: it cannot read the secret to make that tenant's token.
TOKEN_OF = "encode(sha256(convert_to(k.secret || ':' || {client}, 'UTF8')), 'hex')"
_SETTING = f"current_setting('{TENANT_SETTING}', true)"
PG_TENANT = (
    f"NULLIF({_SETTING}, '')::bigint AND EXISTS (SELECT 1 FROM {SCOPE_TABLE} AS k "
    f"WHERE {TOKEN_OF.format(client=_SETTING)} = current_setting('{TOKEN_SETTING}', true))"
)
SKIPPED_FIELDS = {"client", "raw"}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    references: str = ""  # "v_repositories.id" for a declared join


@dataclass(frozen=True)
class View:
    name: str
    description: str
    columns: tuple[Column, ...]
    table: str = ""
    model: type[models.Model] | None = None

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def joins(self) -> list[str]:
        return [f"{self.name}.{c.name} = {c.references}" for c in self.columns if c.references]


@dataclass(frozen=True)
class Entity:
    view: str
    model: type[models.Model]
    description: str
    notes: dict[str, str] = field(default_factory=dict)  # column descriptions beyond help texts


ENTITIES = (
    Entity("v_repositories", Repository, "Source repositories (GitHub or local git).",
           {"full_name": "owner/name, e.g. pallets/flask"}),
    Entity("v_projects", Project, "Jira projects.", {"key": "The project key, e.g. GROOVY"}),
    Entity("v_work_items", WorkItem, "Jira issues (work items): one row per issue.",
           {"key": "Issue key, e.g. GROOVY-123", "status_category": "To Do, In Progress or Done",
            "created": "When the issue was created", "resolved": "When it was resolved (empty while open)"}),
    Entity("v_work_item_comments", WorkItemComment, "Comments on Jira issues."),
    Entity("v_work_item_changes", WorkItemChange, "Jira changelog: one row per changed field (status moves etc.).",
           {"field": "The changed field, e.g. status", "created": "When the change was made"}),
    Entity("v_pull_requests", PullRequest, "GitHub pull requests.",
           {"state": "open or closed", "merged_at": "When it was merged (empty if not merged)",
            "author": "GitHub login of the author", "created": "When it was opened"}),
    Entity("v_pull_request_reviews", PullRequestReview, "Reviews submitted on pull requests.",
           {"state": "APPROVED, CHANGES_REQUESTED or COMMENTED", "author": "GitHub login of the reviewer"}),
    Entity("v_pull_request_comments", PullRequestComment, "Review comments on pull request diffs."),
    Entity("v_commits", Commit, "Git commits, one row per commit.",
           {"author_name": "The commit author's name", "authored_at": "When the change was written",
            "committed_at": "When it was committed", "additions": "Lines added", "deletions": "Lines deleted"}),
    Entity("v_releases", Tag, "Git tags and the GitHub releases published from them.",
           {"name": "Tag name, e.g. 2.3.1", "commit_committed_at": "When the tagged commit was committed"}),
    Entity("v_deployments", Deployment, "Deployments (release tags or merged pull requests) as the delivery "
           "metrics count them, with what each shipped first.", {"failed": "The deployment needed a fix"}),
    Entity("v_pull_request_flow", PullRequestFlow, "Pull request flow times computed by the delivery metrics.",
           {"lead_seconds": "Seconds from first commit to merge",
            "review_wait_seconds": "Seconds from opening to the first review"}),
)  # fmt: skip

COMMIT_FILES = View(
    "v_commit_files",
    "Files changed by each commit: one row per file of a commit.",
    (
        Column("commit_id", "integer", "The commit", "v_commits.id"),
        Column("repository_id", "integer", "The repository", "v_repositories.id"),
        Column("sha", "text", "The commit's sha"),
        Column("author_name", "text", "The commit author's name"),
        Column("committed_at", "timestamp", "When the commit was committed"),
        Column("path", "text", "The file's path"),
        Column("additions", "integer", "Lines added to the file"),
        Column("deletions", "integer", "Lines deleted from the file"),
    ),
    table="commits",
)
TYPES = {
    "AutoField": "integer", "BigAutoField": "integer", "IntegerField": "integer", "PositiveIntegerField": "integer",
    "PositiveSmallIntegerField": "integer", "BigIntegerField": "integer", "FloatField": "float",
    "DecimalField": "decimal", "BooleanField": "boolean", "DateTimeField": "timestamp", "DateField": "date",
    "ForeignKey": "integer", "OneToOneField": "integer",
}  # fmt: skip


def _column(entity: Entity, model_field: models.Field, views_by_model: dict) -> Column | None:
    if model_field.name in SKIPPED_FIELDS or isinstance(model_field, models.JSONField):
        return None
    kind = TYPES.get(model_field.get_internal_type(), "text")
    references = ""
    if model_field.is_relation:
        target = views_by_model.get(model_field.related_model)
        if target is None:
            return None
        references = f"{target}.id"
    described = model_field.help_text or entity.notes.get(model_field.name) or str(model_field.verbose_name)
    if model_field.primary_key:
        described = "Row id"
    elif references:
        described = f"The {model_field.verbose_name} (joins {references})"
    return Column(model_field.column, kind, str(described), references)


def _views() -> tuple[View, ...]:
    views_by_model = {entity.model: entity.view for entity in ENTITIES}
    built = []
    for entity in ENTITIES:
        columns = [_column(entity, f, views_by_model) for f in entity.model._meta.concrete_fields]
        built.append(
            View(
                entity.view,
                entity.description,
                tuple(c for c in columns if c),
                table=entity.model._meta.db_table,
                model=entity.model,
            )
        )
    return (*built, COMMIT_FILES)


VIEWS: tuple[View, ...] = _views()
VIEWS_BY_NAME = {view.name: view for view in VIEWS}


def view_select(view: View, dialect: str, client_id: int | None = None) -> str:
    """The SELECT behind `view`: its columns of its table, filtered to one tenant (PostgreSQL: the
    transaction's setting; SQLite: the literal id of the connection's tenant)."""
    if dialect == "postgres":
        tenant = PG_TENANT
        table = f'"{view.table}"'
    else:
        tenant, table = str(int(client_id)), f'main."{view.table}"'
    if view is COMMIT_FILES:
        return _commit_files_select(dialect, table, tenant)
    columns = ", ".join(f't."{c}"' for c in view.column_names)
    return f"SELECT {columns} FROM {table} AS t WHERE t.client_id = {tenant}"


def _commit_files_select(dialect: str, table: str, tenant: str) -> str:
    head = "SELECT t.id AS commit_id, t.repository_id, t.sha, t.author_name, t.committed_at"
    if dialect == "postgres":
        return (
            f"{head}, f.value->>'path' AS path, (f.value->>'additions')::integer AS additions, "
            f"(f.value->>'deletions')::integer AS deletions FROM {table} AS t CROSS JOIN LATERAL "
            "jsonb_array_elements(CASE WHEN jsonb_typeof(t.files) = 'array' THEN t.files ELSE '[]'::jsonb END) AS f "
            f"WHERE t.client_id = {tenant}"
        )
    return (
        f"{head}, json_extract(f.value, '$.path') AS path, CAST(json_extract(f.value, '$.additions') AS INTEGER) "
        "AS additions, CAST(json_extract(f.value, '$.deletions') AS INTEGER) AS deletions "
        f"FROM {table} AS t, json_each(CASE WHEN json_type(t.files) = 'array' THEN t.files ELSE '[]' END) AS f "
        f"WHERE t.client_id = {tenant}"
    )


def schema_of() -> dict[str, dict[str, str]]:
    """{view: {column: type}}: what sqlglot's qualify checks columns against."""
    return {v.name: {c.name: c.type for c in v.columns} for v in VIEWS}


def describe(view_names: list[str] | None = None) -> str:
    """The views as the prompt shows them: description, columns with types and meanings, joins."""
    chosen = [VIEWS_BY_NAME[n] for n in view_names] if view_names else VIEWS
    blocks = []
    for view in chosen:
        lines = [f"VIEW {view.name} -- {view.description}"]
        lines += [f"  {c.name} {c.type} -- {c.description}" for c in view.columns]
        lines += [f"  JOIN {j}" for j in view.joins]
        blocks.append("\n".join(lines))
    return "\n".join(blocks)
