"""Run by tests/ai/test_sqlite_search.py in a child process: Pulse's local mode (SQLite, no
DATABASE_URL) migrated from scratch, records stored through the real path, then keyword and
default-mode searches. Prints one JSON object of what it found."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import django

django.setup()

from django.core.management import call_command  # noqa: E402

call_command("migrate", verbosity=0)

from django.db import connection  # noqa: E402

from ai.models import SearchDocument  # noqa: E402
from ai.vectors.bridge import RecordText, vectors_store_records  # noqa: E402
from ai.vectors.keyword import keyword_search, linked_records  # noqa: E402
from ai.vectors.search import vectors_search  # noqa: E402
from tests.ai.factories import local_embedding  # noqa: E402
from tests.etl.factories import make_commits  # noqa: E402
from tests.factories import make_client  # noqa: E402

MESSAGES = json.loads(sys.argv[1])
tenant_a, tenant_b = make_client("Tenant A"), make_client("Tenant B")
local_embedding(tenant_a)
local_embedding(tenant_b)
commits = make_commits(tenant_a, MESSAGES)
vectors_store_records(client=tenant_a, table_name="commits", records=[RecordText(c.pk, c.message) for c in commits])
other = make_commits(tenant_b, ["GROOVY-11542: tenant B's own MetaClassRegistryImpl change"])
vectors_store_records(client=tenant_b, table_name="commits", records=[RecordText(other[0].pk, other[0].message)])
index = {c.pk: i for i, c in enumerate(commits)}


def ranked(hits):
    return [index.get(h[0] if isinstance(h, tuple) else h.record_id, "other") for h in hits]


# An edit re-indexes (the trigger), a delete un-indexes.
SearchDocument.objects.filter(record_id=commits[5].pk).update(terms="zeppelin")
deleted = commits[3].pk
SearchDocument.objects.filter(record_id=deleted).delete()
print(
    json.dumps(
        {
            "vendor": connection.vendor,
            "meta": ranked(keyword_search(client=tenant_a, table_name="commits", query_text="meta class registry")),
            "key": ranked(keyword_search(client=tenant_a, table_name="commits", query_text="GROOVY-11542")),
            "excluded": ranked(
                keyword_search(
                    client=tenant_a,
                    table_name="commits",
                    query_text="GROOVY-11542",
                    exclude_record_ids=[commits[0].pk],
                )
            ),
            "edited": ranked(keyword_search(client=tenant_a, table_name="commits", query_text="zeppelin")),
            "deleted": ranked(keyword_search(client=tenant_a, table_name="commits", query_text="JsonSlurper lax")),
            "tenant_b": [
                h[0] == other[0].pk
                for h in keyword_search(client=tenant_b, table_name="commits", query_text="MetaClassRegistryImpl")
            ],
            "linked": sorted(
                (index[r], sorted(keys))
                for r, keys, _ in linked_records(
                    client=tenant_a,
                    table_name="commits",
                    keys=["GROOVY-11542"],
                    limit=10,
                    exclude_record_ids=[commits[2].pk],
                )
            ),
            "default": ranked(vectors_search(client=tenant_a, query_text="codenarc errors", table_names=["commits"])),
        }
    )
)
