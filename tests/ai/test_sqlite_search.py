"""Keyword (FTS5) and hybrid search in local mode: SQLite, as `make run` uses it.

The suite's database is PostgreSQL, so this runs Pulse in a child process with no DATABASE_URL
(SQLite in a temporary var dir, embedded Qdrant in memory, the bundled local model)."""

import json
import os
import subprocess
import sys
from pathlib import Path

PROBE = Path(__file__).with_name("sqlite_search_probe.py")
MESSAGES = [
    "GROOVY-11542: StackOverflowError in the STC when a closure shares a generic placeholder",
    "Speed up MetaClassRegistryImpl lookups",
    "GROOVY-11542: follow-up test for the closure generics fix",
    "Document the JsonSlurper lax parser options",
    "Refactor test code that caused codenarc errors",
    "Bump gradle wrapper to 8.14",
]


def test_keyword_and_default_hybrid_search_on_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "QDRANT_URL")}
    env.update(
        PULSE_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="pulse.settings",
        VECTOR_STORE="qdrant",
        QDRANT_PATH=":memory:",
        HF_HUB_OFFLINE="1",
        LOG_LEVEL="WARNING",
    )
    done = subprocess.run(
        [sys.executable, str(PROBE), json.dumps(MESSAGES)], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["vendor"] == "sqlite"
    assert found["meta"] == [1]  # the identifier's parts match the query's words
    assert sorted(found["key"]) == [0, 2]  # the ticket key is one term
    assert found["excluded"] == [2]
    assert found["edited"] == [5]  # the update trigger re-indexed the edited terms
    assert found["deleted"] == []  # the delete trigger removed the document from the index
    assert found["tenant_b"] == [True]  # tenant B sees only its own record
    assert found["linked"] == [[0, ["GROOVY-11542"]]]  # the link look-up, tenant-scoped, with exclude
    assert found["default"][0] == 4  # the default mode (hybrid) works on SQLite
