"""SQL written by the tenant's model when no pair fits, checked before it runs, corrected at most
twice with the guard's or the database's own error.

The prompt holds the pruned schema (the views the question's words point to, and those the
closest pairs use), the closest pairs as examples, the dialect, and asks for one JSON object
{"sql": ...} ({"sql": null} when the views cannot answer). Each attempt goes through `ai`'s
execution path (budgets, fallback, one ledger row per call, `purpose: sql`). The model only writes
SQL: the rows, and every number shown, come from the database.
"""

import json
import re
from dataclasses import dataclass, field

import sqlglot
from django.conf import settings
from sqlglot import exp

from ai.execution.budgets import BudgetExceededError
from ai.execution.calls import execute_generation
from ai.providers.errors import AIError
from analytics.qa.generative import params_for
from analytics.sql.execute import ExecutionError, Result, run_query
from analytics.sql.guard import GuardError
from analytics.sql.layer import VIEWS_BY_NAME, describe
from analytics.sql.pairs import Match, Parameters, bind
from pulse.core.models import Client, Integration

MAX_ATTEMPTS = 3  # the first try and two corrections
EXAMPLES = 3
VIEWS_FOR = {
    "commit": ["v_commits"], "lines": ["v_commits"], "file": ["v_commit_files", "v_commits"],
    "pull_request": ["v_pull_requests", "v_pull_request_flow"], "review": ["v_pull_request_reviews", "v_pull_requests"],
    "merged": ["v_pull_requests"], "issue": ["v_work_items", "v_work_item_changes", "v_projects"],
    "release": ["v_releases", "v_deployments"], "status": ["v_work_items"],
}  # fmt: skip
DIALECTS = {"postgres": "PostgreSQL", "sqlite": "SQLite"}
SYSTEM = (
    "You translate a question about a software team's work into ONE read-only {dialect} query.\n"
    "- Query only the views below, never any other table. A single SELECT (WITH is fine); no comments.\n"
    "- Use common {dialect} functions only (count, sum, avg, min, max, coalesce, round, date functions).\n"
    "- Do not answer the question yourself: the query's result is the answer.\n"
    '- If the views cannot answer the question, reply {{"sql": null}}.\n'
    '- Reply with one JSON object and nothing else: {{"sql": "<the query>"}}.\n\n'
    "Views:\n{schema}"
)


@dataclass
class Attempt:
    sql: str
    error: str = ""

    def as_dict(self) -> dict:
        return {"sql": self.sql, "error": self.error}


@dataclass
class Generation:
    result: Result | None = None
    attempts: list[Attempt] = field(default_factory=list)
    tokens: int = 0
    cost: float = 0.0
    model: str = ""
    declined: bool = False  # the model said the views cannot answer
    error: str = ""  # why no model could be asked (budget, provider)


def pruned_views(shape: frozenset[str], examples: list[Match], dialect: str) -> list[str]:
    """The views the question's words point to and the views its closest pairs read."""
    chosen = {"v_repositories"}
    for word in shape:
        chosen.update(VIEWS_FOR.get(word, []))
    for match in examples:
        tree = sqlglot.parse_one(match.pair.sql_for(dialect), read=dialect)
        chosen.update(t.name for t in tree.find_all(exp.Table) if t.name in VIEWS_BY_NAME)
    if chosen == {"v_repositories"}:
        return list(VIEWS_BY_NAME)
    return [name for name in VIEWS_BY_NAME if name in chosen]


def messages_for(
    question: str, views: list[str], examples: list[Match], params: Parameters, dialect: str
) -> list[dict[str, str]]:
    system = SYSTEM.format(dialect=DIALECTS[dialect], schema=describe(views))
    shots = "\n\n".join(
        f"Question: {m.pair.question}\n{json.dumps({'sql': bind(m.pair.sql_for(dialect), params, dialect)})}"
        for m in examples
    )
    named = {k: v for k, v in params.as_dict().items() if v}
    if params.since:
        named["since"] = params.since
    user = f"Question: {question}"
    if named:
        user += f"\nThe question names: {json.dumps(named)}"
    if shots:
        system += f"\n\nExamples:\n{shots}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def sql_of(reply: str) -> str | None:
    """The query in a model's reply: the JSON object's "sql", else a fenced or bare query."""
    for candidate in (reply, *re.findall(r"\{.*\}", reply, flags=re.DOTALL)):
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict) and "sql" in value:
            return value["sql"].strip() if isinstance(value["sql"], str) and value["sql"].strip() else None
    fenced = re.search(r"```(?:sql)?\s*(.+?)```", reply, flags=re.DOTALL | re.IGNORECASE)
    text = (fenced.group(1) if fenced else reply).strip()
    return text if re.match(r"(?is)^\s*(select|with)\b", text) else None


def _params(provider: str) -> dict:
    return {**params_for(provider), "max_tokens": 500}  # a query needs more room than an answer


def generate(
    *, client: Client, model: Integration, messages: list[dict[str, str]], attempts: int = MAX_ATTEMPTS
) -> Generation:
    """Ask, check, run; on a refusal feed the error back, at most `attempts` calls in all."""
    out = Generation()
    for number in range(1, attempts + 1):
        try:
            outcome = execute_generation(
                client=client,
                integration=model,
                messages=messages,
                params=_params(model.provider),
                metadata={"purpose": "sql", "attempt": number},
                max_seconds=settings.AI_REQUEST_MAX_SECONDS,
            )
        except (BudgetExceededError, AIError) as exc:
            out.error = str(exc)
            return out
        out.tokens += outcome.usage.total_tokens or 0
        out.cost += float(outcome.cost or 0)
        out.model = outcome.model
        sql = sql_of(outcome.text)
        if sql is None:
            out.declined = True
            return out
        attempt = Attempt(sql)
        out.attempts.append(attempt)
        try:
            out.result = run_query(client=client, sql=sql)
            return out
        except (GuardError, ExecutionError) as exc:
            attempt.error = str(exc)
        messages = [
            *messages,
            {"role": "assistant", "content": outcome.text},
            {"role": "user", "content": f"That query failed: {attempt.error}\nReply with the corrected query as JSON."},
        ]
    return out
