"""Ask Pulse: questions in plain language answered from the tenant's own data, with numbered
sources. `router` sends counting and trend questions to the delivery metrics (and, once it exists,
the text-to-SQL agent); the rest are answered from retrieved records: `retrieval` (hybrid search
plus exact identifiers), then `generative` (a model answers only from the sources and cites them)
or `extractive` (the most relevant sentences, no model). `cache` serves repeats and paraphrases for
the same data; `services` ties it together and keeps the history and feedback.
"""
