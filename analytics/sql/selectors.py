"""Reads of the SQL agent's pairs."""

from analytics.sql.execute import dialect
from analytics.sql.pairs import pairs_for
from pulse.core.models import Client


def sql_pair_list(*, client: Client) -> list[dict]:
    """The shipped pairs (pk None), then the tenant's own, with their SQL in the database's dialect."""
    sql_dialect = dialect()
    return [
        {"pk": p.pk, "question": p.question, "sql": p.sql_for(sql_dialect), "source": p.source}
        for p in pairs_for(client, sql_dialect)
    ]
