"""The insights agent: statistics over the weekly delivery series (`stats`, `detect`), the
templated text (`text`), and the services that store insights deduplicated with a state and the
selectors that list them. An LLM may only rephrase the text (`analytics.narrative`)."""
