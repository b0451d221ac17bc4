"""Delivery (DORA) metrics: which tags are releases, which commits each release shipped first,
which releases failed and when they were restored, and the flow of pull requests and issues.

Pure parts (`releases`, `deployments`, `buckets`) take plain data; `services` reads a tenant's
ETL rows in bulk and materialises deployments and pull request flow; `selectors` answers a window,
a repository and a granularity from those rows. Imports `etl`, never `ai`.
"""
