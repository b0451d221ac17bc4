"""The execution wing: every provider call goes through `calls.execute_embedding` or
`calls.execute_generation` (routing, budgets, truncation, retries, fallback, cooldown, vector
checks, one ledger row per call). `rows` is the only mapping between a provider row and its
flat fields or adapter config; `validation` holds the rules every save of a provider runs.

It imports `ai.providers` and `ai.models` (and core), never `ai.vectors` or `ai.setup`.
"""
