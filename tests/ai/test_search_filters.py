"""Search filters come from the fields each vector source declares, and both stores honour them:
a list-valued field such as `labels` matches any of its items; a filter no source declares, or a
value no store can match, is a 400 naming `filters`."""

import pytest

from ai.vectors.backfill import backfill_run, backfill_start
from etl.models import Project, WorkItem
from tests.ai.factories import local_embedding

pytestmark = pytest.mark.django_db
SEARCH = "/api/v1/ai/vectors/search/"
ITEMS = [
    ("GROOVY-1", "Parser fails on nested closures", ["parser", "regression"], "Bug"),
    ("GROOVY-2", "Parser is slow on large scripts", ["parser", "performance"], "Improvement"),
    ("GROOVY-3", "Document the JSON builder", ["docs"], "Task"),
]


@pytest.fixture(params=["qdrant", "pgvector"])
def store(request, settings):
    settings.VECTOR_STORE = request.param
    return request.param


def _work_items(client) -> dict[str, int]:
    project = Project.objects.create(client=client, key="GROOVY")
    ids = {}
    for key, summary, labels, item_type in ITEMS:
        item = WorkItem.objects.create(
            client=client,
            project=project,
            external_id=key,
            key=key,
            summary=summary,
            labels=labels,
            item_type=item_type,
        )
        ids[key] = item.pk
    job, _ = backfill_start(client=client)
    assert backfill_run(job_id=job.pk, worker="test").succeeded == len(ITEMS)
    return ids


def _search(api, **body):
    return api.post(SEARCH, {"query_text": "parser", "table_names": ["work_items"], "limit": 10, **body}, format="json")


def test_a_list_field_filter_matches_any_item_on_both_stores(store, admin_a, api_as):
    local_embedding(admin_a.client)
    ids = _work_items(admin_a.client)
    api = api_as(admin_a)

    regression = _search(api, filters={"labels": "regression"})
    parser = _search(api, filters={"labels": ["performance", "docs"]})
    typed = _search(api, filters={"item_type": "Bug", "labels": "parser"})

    assert [h["record_id"] for h in regression.json()] == [ids["GROOVY-1"]]
    assert {h["record_id"] for h in parser.json()} == {ids["GROOVY-2"], ids["GROOVY-3"]}
    assert [h["record_id"] for h in typed.json()] == [ids["GROOVY-1"]]
    assert regression.json()[0]["fields"]["labels"] == ["parser", "regression"]


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"sha": "abc"}, "Unknown filter(s) sha"),
        ({"labels": 1.5}, "values are text, whole numbers, true/false"),
        ({"labels": {"a": 1}}, "values are text, whole numbers, true/false"),
        ({"labels": []}, "a list needs 1 to 50 values"),
        ({"labels": ["ok", None]}, "values are text, whole numbers, true/false"),
        ({"labels": "a\x00b"}, "no NUL"),
    ],
)
def test_filters_no_store_can_honour_are_a_400_naming_filters(admin_a, api_as, filters, message):
    local_embedding(admin_a.client)

    response = _search(api_as(admin_a), filters=filters)

    assert response.status_code == 400
    assert message in response.json()["filters"][0]
