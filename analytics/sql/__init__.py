"""The text-to-SQL agent: a question about counts, rankings and trends answered by one read-only
query over the tenant's own rows.

- `layer`: the semantic layer, one view per business entity, generated from the Django models with
  a description of every view and column and the declared joins. The agent sees only these views.
- `guard`: sqlglot parses a query and refuses anything but one read-only query over the views
  with allow-listed functions; its errors are the correction loop's feedback.
- `execute`: runs a guarded query under the database's own tenant scoping (PostgreSQL: a
  read-only role and views keyed on a transaction-local setting; SQLite: a read-only connection
  with temporary tenant views and an authorizer) with row, byte and time caps.
- `install`: the PostgreSQL views, their comments and the reader role, rebuilt around `migrate`.
- `curated`, `models`, `pairs`: the shipped and the tenant's question/SQL pairs, their parameters
  and how a question is matched to one.
- `generate`, `shape`, `services`, `selectors`: the routing (cache, pairs, generation with
  correction rounds, refusal), the chart hint and summary, and the answer the API and the Ask page
  show.

It may import `ai` and `etl`; nothing but `hub` and the URLs imports it.
"""
