"""PostgreSQL keyword search over the postings table (ai.vectors.postings, migration 0010): the
exact BM25 ranking, tenant scoping, the triggers that keep the postings in step with the documents,
the link look-up, and the migration run both ways on existing rows."""

import math

import pytest
from django.core.management import call_command
from django.db import connection

from ai.models import SearchDocument
from ai.vectors import postings
from ai.vectors.keyword import keyword_search, linked_records
from ai.vectors.terms import keyword_text, query_terms

# Every text names `groovy` (a common term: it scores, it does not select), most name `test`;
# some repeat a word, in the subject line or below it.
TEXTS = [
    "GROOVY-100: closure parameter inference in groovy",
    "GROOVY-100: follow-up test for the groovy closure fix",
    "Speed up the groovy JsonSlurper number parser",
    "Bump gradle wrapper in groovy build test",
    "GROOVY-200: MetaClassRegistryImpl leaks in groovy test runs",
    "Document groovy XmlSlurper namespaces test",
    "groovy closure closure closure test",
    "Tidy the parser\nclosure closure in the groovy test parser parser",
    "Refactor groovy codenarc test errors",
    "groovy",
    "groovy test",
]


def _index(client, texts, start=1):
    for offset, text in enumerate(texts):
        SearchDocument.objects.create(
            client=client, table_name="commits", record_id=start + offset, text=text, terms=keyword_text(text)
        )


def _postings(client) -> set[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT record_id, lexeme, tf, doc_len FROM ai_search_postings WHERE client_id = %s", [client.pk]
        )
        return set(cursor.fetchall())


def _from_tsvectors(client) -> set[tuple]:
    """What the postings should be: the documents' tsvectors, unnested here independently."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT record_id, lexeme, weights, length(tsv) FROM ai_search_documents, unnest(tsv) WHERE client_id = %s",
            [client.pk],
        )
        # A subject-line occurrence (weight A) counts twice.
        return {
            (r, lexeme, sum(2 if w == "A" else 1 for w in weights), n) for r, lexeme, weights, n in cursor.fetchall()
        }


def _reference_bm25(client, query: str, exclude=()) -> list[tuple[int, float]]:
    """BM25 (k1 1.2, b 0.75; tf with subject occurrences counted twice, length in distinct
    lexemes) over the tenant's documents, computed here in Python from their tsvectors."""
    documents: dict[int, dict[str, int]] = {}
    for record_id, lexeme, tf, _ in _from_tsvectors(client):
        documents.setdefault(record_id, {})[lexeme] = tf
    lexemes = postings.query_lexemes(query_terms(query))
    average = sum(map(len, documents.values())) / len(documents)
    df = {t: sum(t in d for d in documents.values()) for t in lexemes}
    idf = {t: math.log(1 + (len(documents) - n + 0.5) / (n + 0.5)) for t, n in df.items() if n}
    scores = {
        record_id: sum(idf[t] * d[t] * 2.2 / (d[t] + 1.2 * (0.25 + 0.75 * len(d) / average)) for t in idf if t in d)
        for record_id, d in documents.items()
        if record_id not in exclude and any(t in d for t in idf)
    }
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


@pytest.fixture
def indexed(tenant_a):
    _index(tenant_a, TEXTS)
    return tenant_a


@pytest.mark.parametrize(
    "query",
    ["closure inference", "groovy test", "groovy", "test closure closure number parser", "GROOVY-100 leaks"],
)
@pytest.mark.parametrize("limit", [1, 3, 10])
def test_ranking_is_the_exact_bm25_top_of_the_tenant(indexed, query, limit):
    expected = _reference_bm25(indexed, query)[:limit]
    hits = keyword_search(client=indexed, table_name="commits", query_text=query, limit=limit)
    assert [h[0] for h in hits] == [record_id for record_id, _ in expected]
    assert [h[1] for h in hits] == pytest.approx([score for _, score in expected])
    assert hits and hits[0][2] == TEXTS[hits[0][0] - 1]  # the preview is the document's text


def test_a_rare_term_outranks_common_ones_and_exclude_leaves_records_out(indexed):
    hits = keyword_search(client=indexed, table_name="commits", query_text="groovy test MetaClassRegistryImpl")
    assert hits[0][0] == 5
    hits = keyword_search(
        client=indexed, table_name="commits", query_text="groovy test MetaClassRegistryImpl", exclude_record_ids=[5]
    )
    assert 5 not in [h[0] for h in hits]
    expected = _reference_bm25(indexed, "groovy test MetaClassRegistryImpl", exclude={5})[:10]
    assert [h[0] for h in hits] == [record_id for record_id, _ in expected]


def test_another_tenants_documents_are_never_scored_or_returned(indexed, tenant_b):
    before = keyword_search(client=indexed, table_name="commits", query_text="closure codenarc", limit=10)
    # Tenant B: the same record ids, many more documents naming the query's words.
    _index(tenant_b, ["closure codenarc closure"] * 30)
    postings._frequencies.clear()
    after = keyword_search(client=indexed, table_name="commits", query_text="closure codenarc", limit=10)
    assert after == before  # B's documents change neither A's hits nor A's scores (df, N)
    assert [h[2] for h in after] == [TEXTS[h[0] - 1] for h in after]  # A's texts, never B's
    b_hits = keyword_search(client=tenant_b, table_name="commits", query_text="closure inference", limit=50)
    assert {h[2] for h in b_hits} == {"closure codenarc closure"}
    assert linked_records(client=tenant_b, table_name="commits", keys=["GROOVY-100"], limit=10) == []


def test_triggers_keep_the_postings_in_step_on_insert_update_upsert_and_delete(indexed, tenant_b):
    _index(tenant_b, ["closure codenarc"])
    assert _postings(indexed) == _from_tsvectors(indexed) and len(_postings(indexed)) > 40
    SearchDocument.objects.filter(client=indexed, record_id=3).update(terms=keyword_text("zeppelin zeppelin"))
    assert (3, "zeppelin", 4, 1) in _postings(indexed)  # twice in the subject line: tf 2, counted twice
    assert not {p for p in _postings(indexed) if p[0] == 3 and p[1] != "zeppelin"}
    SearchDocument.objects.filter(client=indexed, record_id=4).update(text="only the text changed")
    SearchDocument.objects.bulk_create(  # the bridge's upsert path
        [SearchDocument(client=indexed, table_name="commits", record_id=1, text="x", terms="airship")],
        update_conflicts=True,
        unique_fields=["client", "table_name", "record_id", "vector_type"],
        update_fields=["text", "terms", "updated_at"],
    )
    SearchDocument.objects.filter(client=indexed, record_id__in=[2, 9]).delete()
    assert _postings(indexed) == _from_tsvectors(indexed)
    assert {p[0] for p in _postings(indexed)} == {1, 3, 4, 5, 6, 7, 8, 10, 11}
    assert _postings(tenant_b) == _from_tsvectors(tenant_b) != set()  # the other tenant's untouched


def test_linked_records_are_an_index_look_up_of_the_keys(indexed):
    found = linked_records(client=indexed, table_name="commits", keys=["GROOVY-100", "GROOVY-200"], limit=10)
    assert {(r, frozenset(keys)) for r, keys, _ in found} == {
        (1, frozenset({"GROOVY-100"})),
        (2, frozenset({"GROOVY-100"})),
        (5, frozenset({"GROOVY-200"})),
    }
    assert dict((r, p) for r, _, p in found)[5] == TEXTS[4]
    excluded = linked_records(
        client=indexed, table_name="commits", keys=["GROOVY-100"], limit=10, exclude_record_ids=[1]
    )
    assert [r for r, _, _ in excluded] == [2]
    assert linked_records(client=indexed, table_name="commits", keys=["GROOVY-999"], limit=10) == []


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_existing_documents_and_reverses(tenant_a):
    _index(tenant_a, TEXTS)
    expected = _from_tsvectors(tenant_a)
    call_command("migrate", "ai", "0009", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('ai_search_postings')")
        assert cursor.fetchone()[0] is None
    _index(tenant_a, ["written while the postings table was gone"], start=50)
    call_command("migrate", "ai", verbosity=0)
    assert (
        _postings(tenant_a)
        == _from_tsvectors(tenant_a)
        == expected | {p for p in _from_tsvectors(tenant_a) if p[0] == 50}
    )


def test_a_term_first_stored_after_a_search_for_it_is_found_at_once(tenant_a):
    assert keyword_search(client=tenant_a, table_name="commits", query_text="zeppelin closure") == []
    _index(tenant_a, ["Fix the closure cache", "Tidy the docs"])
    assert [h[0] for h in keyword_search(client=tenant_a, table_name="commits", query_text="zeppelin closure")] == [1]
    _index(tenant_a, ["Zeppelin support"], start=3)
    hits = keyword_search(client=tenant_a, table_name="commits", query_text="zeppelin closure")
    assert [h[0] for h in hits][:1] == [3]  # not hidden by a remembered "no such term"
