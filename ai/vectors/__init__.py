"""The vectors wing: records' text → vectors (`embedding`: cache, batches, quality), the stores
(`stores`: Qdrant or pgvector), storing with the bridge row (`bridge`), search by vectors,
keywords or both (`search`, `keyword`, `fusion`), `verify`/repair, registered `sources`, and the
resumable `backfill`.

It imports `ai.execution` (every embedding is a provider call), `ai.providers` and `ai.models`;
tables register themselves as sources, so it never imports `etl`.
"""
