"""Is this SQL one read-only query over the semantic layer? sqlglot parses it; "starts with
SELECT" is not a check.

Refused: anything that does not parse, more than one statement, a root that is not a query
(SELECT / UNION / INTERSECT / EXCEPT, CTEs allowed), INTO, locking clauses, DML or DDL anywhere
(a data-modifying CTE included), bind parameters, any relation that is not a semantic-layer view
or a CTE of the query itself (system catalogs, base tables, other schemas, table functions), and
any function outside the allow-list (so `pg_sleep`, `pg_read_file`, `dblink`, `lo_*`,
`set_config`, `current_setting` never run). Columns are then resolved against the views with
sqlglot's qualify: an unknown column is named in the error, which is what a correction round
feeds back to the model. What runs is the SQL regenerated from the checked tree, so the parser
and the database never read two different statements.
"""

from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, SqlglotError
from sqlglot.optimizer.qualify import qualify

from analytics.sql.layer import VIEWS_BY_NAME, schema_of

MAX_SQL_CHARS = 8000
FUNCTIONS = frozenset(
    {
        # boolean connectors (sqlglot models AND and OR as functions)
        "and", "or", "xor", "not",
        # aggregates
        "count", "sum", "avg", "min", "max", "median", "stddev", "stddevsamp", "stddevpop", "variance",
        "percentilecont", "percentiledisc", "groupconcat", "stringagg", "arrayagg", "countif",
        # windows
        "exists", "rownumber", "rank", "denserank", "ntile", "lag", "lead", "firstvalue", "lastvalue", "percentrank",
        # scalars
        "coalesce", "nullif", "case", "if", "cast", "trycast", "greatest", "least", "abs", "round", "ceil",
        "floor", "sign", "sqrt", "pow", "ln", "log", "mod", "lower", "upper", "length", "substring", "trim",
        "concat", "replace", "splitpart", "left", "right", "strposition", "lpad", "rpad", "initcap",
        # dates
        "extract", "timestamptrunc", "datetrunc", "currenttimestamp", "currentdate", "currenttime",
        "timetostr", "strtotime", "datediff", "timestampdiff", "date", "datetime", "tsordstodate",
        "tsordstotimestamp", "datestrtodate", "timestrtotime", "unixepoch", "timetounix", "dateadd", "datesub",
        "julianday", "strftime", "date_part", "to_char", "age",
    }
)  # fmt: skip
FORBIDDEN_NODES = tuple(
    getattr(exp, name)
    for name in (
        "Into", "Lock", "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "Command", "TruncateTable",
        "Set", "Copy", "Grant", "Revoke", "Pragma", "Transaction", "Commit", "Rollback", "Use", "Attach", "Detach",
        "LoadData", "Cache", "Uncache", "Refresh", "Analyze", "Placeholder", "Parameter", "SessionParameter",
        "Describe", "Show", "Kill", "Summarize",
    )
    if hasattr(exp, name)
)  # fmt: skip


class GuardError(ValueError):
    """Why a query was refused, worded for a person and for a correction prompt."""


@dataclass(frozen=True)
class Checked:
    sql: str  # the statement to run, regenerated from the checked tree
    views: list[str]  # the views it reads


def function_name(node: exp.Func) -> str:
    return (node.name if isinstance(node, exp.Anonymous) else node.key).lower()


def _one_query(sql: str, dialect: str) -> exp.Expression:
    if not sql or not sql.strip():
        raise GuardError("The query is empty.")
    if len(sql) > MAX_SQL_CHARS:
        raise GuardError(f"The query is longer than {MAX_SQL_CHARS} characters.")
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except SqlglotError as exc:
        raise GuardError(f"The query does not parse: {str(exc).splitlines()[0]}") from None
    if len(statements) != 1:
        raise GuardError(f"Exactly one statement is allowed; found {len(statements)}.")
    root = statements[0]
    while isinstance(root, exp.Subquery):
        root = root.this
    if not isinstance(root, exp.Query):
        raise GuardError(f"Only a query (SELECT, UNION, INTERSECT, EXCEPT) is allowed, not {root.key.upper()}.")
    if any(isinstance(s, exp.Select) and not s.expressions for s in root.find_all(exp.Select)):
        raise GuardError("A SELECT must name what it returns.")
    return statements[0]


def _relations(tree: exp.Expression) -> list[str]:
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    views = []
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            raise GuardError("Table functions are not allowed; query the views.")
        name = table.name.lower()
        if table.args.get("db") or table.args.get("catalog"):
            raise GuardError(f"Relation {table.sql()} is outside the semantic layer; query the v_* views only.")
        if name in ctes:
            continue
        if name not in VIEWS_BY_NAME:
            raise GuardError(f"Relation {name} is not a view of the semantic layer; use one of: {_view_list()}.")
        views.append(name)
    return sorted(set(views))


def _view_list() -> str:
    return ", ".join(VIEWS_BY_NAME)


def _nodes(tree: exp.Expression) -> None:
    for node in tree.walk():
        if isinstance(node, FORBIDDEN_NODES):
            label = {"into": "SELECT ... INTO", "lock": "A locking clause (FOR UPDATE/SHARE)"}.get(node.key)
            raise GuardError(f"{label or node.key.upper()} is not allowed: the agent only reads.")
        if isinstance(node, exp.Func) and function_name(node) not in FUNCTIONS:
            raise GuardError(f"Function {function_name(node)}() is not allowed.")
        if isinstance(node, exp.Cast) and node.to.sql(dialect="postgres").lower().startswith("reg"):
            # regclass, regproc, ...: lookups in the system catalogs by name.
            raise GuardError(f"A cast to {node.to.sql(dialect='postgres')} is not allowed.")


def _qualified(tree: exp.Expression, dialect: str, views: list[str]) -> None:
    try:
        qualify(
            tree.copy(),
            schema=schema_of(),
            dialect=dialect,
            validate_qualify_columns=True,
            quote_identifiers=False,
        )
    except (OptimizeError, SqlglotError) as exc:
        named = "; ".join(f"{v}({', '.join(VIEWS_BY_NAME[v].column_names)})" for v in views)
        raise GuardError(f"{str(exc).splitlines()[0]}. Columns of the views used: {named}") from None


def check(sql: str, *, dialect: str) -> Checked:
    """The statement to run, or GuardError saying why not. `dialect` is sqlglot's ("postgres",
    "sqlite"): the database's own."""
    tree = _one_query(sql, dialect)
    _nodes(tree)
    views = _relations(tree)
    _qualified(tree, dialect, views)
    return Checked(tree.sql(dialect=dialect, comments=False), views)
