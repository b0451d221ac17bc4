"""The providers wing: one adapter per AI vendor behind a small registry, the model catalog
(`catalog.yaml`: dimensions, token limits, prices, capabilities) and token counting.

Adapters take a plain `ProviderConfig` and return plain results; they import nothing from the
rest of `ai` and no Django model, so they can be tested without a database. `errors` defines the
`AIError` family that every AI failure in Pulse belongs to. The local model can live in one
process for all the others: `embedding_server` (run by `manage.py serve_embeddings`), its client
`embedding_client` and their wire format `embedding_wire`.
"""
