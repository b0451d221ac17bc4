"""Pulse's AI layer, in wings, each importing only the wings below it (`etl`, `hub` and the agents
call into it; it imports none of them):

- `ai.providers`: the vendor adapters, their registry, the model catalog and token counting.
- `ai.execution`: the one call path (routing, budgets, retries, fallback, cooldown, the ledger)
  and the mapping from a provider row to what an adapter needs.
- `ai.vectors`: embedding for storage and search, the stores, the bridge table, search, backfill.
- `ai.setup`: what a tenant configures (providers, agent settings, the embedding model, YAML).
- `ai.api`: thin REST views over the wings; `admin`, `models`, `tasks` are the Django wiring.
"""
