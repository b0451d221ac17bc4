"""`/api/v1/ai/sql/`: ask, and the question/SQL pairs (list for everyone, add and delete for admins,
save a helpful answer as a pair). Bad input is a 400 naming the field."""

import pytest

from analytics.qa.models import QAInteraction
from analytics.sql.curated import PAIRS
from analytics.sql.models import SQLPair
from etl.models import Commit

pytestmark = pytest.mark.django_db(transaction=True)
ASK = "/api/v1/ai/sql/ask"
PAIRS_URL = "/api/v1/ai/sql/pairs/"


def test_a_member_asks_and_gets_rows_sql_chart_and_route(groovy_rows, member_a, api_as):
    response = api_as(member_a).post(ASK, {"question": "How many commits were made per week?"}, format="json")

    body = response.json()
    assert response.status_code == 200 and body["route"] == "pair" and body["cached"] is False
    assert body["columns"] == ["week", "commits"] and sum(r[1] for r in body["rows"]) == 30
    assert body["chart"] == ("line" if len(body["rows"]) > 1 else "table") and body["truncated"] is False
    assert body["row_count"] == len(body["rows"])
    assert body["sql"].startswith("SELECT") and body["usage"] == {"tokens": 0, "cost": "0"}
    assert QAInteraction.objects.get(pk=body["id"]).mode == "sql"


@pytest.mark.parametrize("payload", [{}, {"question": ""}, {"question": "x" * 1001}])
def test_a_bad_question_is_a_400_naming_the_field(groovy_rows, member_a, api_as, payload):
    response = api_as(member_a).post(ASK, payload, format="json")
    assert response.status_code == 400 and "question" in response.json()


def test_everyone_lists_the_shipped_pairs(groovy_rows, member_a, api_as):
    listed = api_as(member_a).get(PAIRS_URL).json()
    assert len(listed) == len(PAIRS) and all(p["id"] is None and p["source"] == "curated" for p in listed)


def test_an_admin_adds_a_checked_pair_and_deletes_it(groovy_rows, admin_a, api_as):
    api = api_as(admin_a)
    sql = (
        "SELECT committer_name, count(*) AS commits FROM v_commits "
        "WHERE (:since IS NULL OR committed_at >= :since) GROUP BY 1"
    )

    created = api.post(PAIRS_URL, {"question": "Commits per committer?", "sql": sql}, format="json")
    listed = api.get(PAIRS_URL).json()
    deleted = api.delete(f"{PAIRS_URL}{created.json()['id']}/")

    assert created.status_code == 201 and created.json()["source"] == "admin"
    assert listed[-1]["question"] == "Commits per committer?"
    assert deleted.status_code == 204 and not SQLPair.objects.exists()


@pytest.mark.parametrize(
    ("sql", "says"),
    [
        ("DELETE FROM commits", "not DELETE"),
        ("SELECT * FROM commits", "not a view"),
        ("SELECT nope FROM v_commits", "'nope' could not be resolved"),
        ("SELECT * FROM v_commits WHERE sha = :who", "Unknown parameter :who"),
        ("SELECT (", "does not parse"),
    ],
)
def test_a_pair_the_guard_refuses_is_a_400_on_sql(groovy_rows, admin_a, api_as, sql, says):
    response = api_as(admin_a).post(PAIRS_URL, {"question": "Anything?", "sql": sql}, format="json")

    assert response.status_code == 400 and says in " ".join(response.json()["sql"])
    assert not SQLPair.objects.exists() and Commit.objects.count() == 30


def test_a_member_may_not_add_or_delete_pairs(groovy_rows, member_a, api_as):
    pair = SQLPair.objects.create(client=groovy_rows, question="Q", sql="SELECT 1 AS one", dialect="postgres")
    api = api_as(member_a)

    assert api.post(PAIRS_URL, {"question": "Q2", "sql": "SELECT 1 AS one"}, format="json").status_code == 403
    assert api.delete(f"{PAIRS_URL}{pair.pk}/").status_code == 403


def test_an_answer_saved_as_a_pair_is_marked_helpful(groovy_rows, admin_a, api_as):
    api = api_as(admin_a)
    answer = api.post(ASK, {"question": "Which authors made the most commits?"}, format="json").json()

    saved = api.post(PAIRS_URL, {"interaction_id": answer["id"]}, format="json")

    assert saved.status_code == 201 and saved.json()["source"] == "answer" and saved.json()["sql"] == answer["sql"]
    assert QAInteraction.objects.get(pk=answer["id"]).helpful is True
    again = api.post(PAIRS_URL, {"interaction_id": answer["id"]}, format="json")
    assert again.status_code == 400 and "question" in again.json()
