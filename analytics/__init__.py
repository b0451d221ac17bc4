"""What Pulse tells a team: delivery (DORA) metrics and the insights drawn from them.

Wings, the way `etl/` has clients / services / models:
- `metrics/`: release names, the pure deployment computation, UTC buckets and levels, the service
  that materialises a tenant's deployments and pull request flow once per sync, and the selector
  that answers windows and buckets from those rows.
- `insights/`: the statistics (modified z-score, Poisson tail, Theil-Sen with Mann-Kendall), the
  detector that turns metric series into insights, and the services that store and list them.
- `narrative.py`: the only module that imports `ai` (optional LLM phrasing of computed facts).
- `api/`: thin DRF views. `tasks.py`: the daily and after-sync Celery work.

It may import `etl` and `ai`; nothing imports it but `hub` and the URL configuration.
"""
