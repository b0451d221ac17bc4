"""The Ask page with a counting question: the SQL agent's table, its chart, the SQL behind a
disclosure, and "save as a pair" for admins only."""

import re

import pytest
from django.urls import reverse

from analytics.qa.models import QAInteraction
from analytics.sql.models import SQLPair

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_counting_question_shows_a_table_a_chart_and_the_sql(client, groovy_rows, admin_a):
    client.force_login(admin_a)

    page = client.post(reverse("hub:ask"), {"question": "Which authors made the most commits?"}).content.decode()

    assert 'data-mode="sql"' in page and 'id="sql-rows"' in page and '<th scope="col">author_name</th>' in page
    assert 'data-chart="bar"' in page and '<details id="sql-details">' in page and "FROM v_commits" in page
    assert 'id="save-pair"' in page
    # Each bar carries its number, and the axis names its first label: the author with most commits.
    table = page[page.index('id="sql-rows"') :]
    first_author, first_count = re.search(r"<tbody><tr><td>([^<]+)</td><td>(\d+)</td>", table).groups()
    chart = page[page.index('id="sql-chart"') : page.index("</svg>", page.index('id="sql-chart"'))]
    assert f'text-anchor="middle">{first_count}</text>' in chart and f">{first_author}</text>" in chart


def test_an_admin_saves_the_answer_as_a_pair_and_a_member_cannot(client, groovy_rows, admin_a, member_a):
    client.force_login(member_a)
    client.post(reverse("hub:ask"), {"question": "How many commits were made per month?"})
    mine = QAInteraction.objects.get(user=member_a)
    page = client.get(reverse("hub:ask") + f"?id={mine.pk}").content.decode()
    refused = client.post(reverse("hub:ask-save-pair", args=[mine.pk])).status_code

    client.force_login(admin_a)
    client.post(reverse("hub:ask"), {"question": "How many commits were made per month?"})
    theirs = QAInteraction.objects.get(user=admin_a)
    saved = client.post(reverse("hub:ask-save-pair", args=[theirs.pk]), follow=True)

    assert 'id="save-pair"' not in page and refused == 403
    assert saved.status_code == 200 and "Saved" in saved.content.decode()
    assert SQLPair.objects.get().source == "answer" and QAInteraction.objects.get(pk=theirs.pk).helpful is True


def test_a_question_asked_through_the_api_shows_its_table_on_the_page(client, groovy_rows, admin_a, api_as):
    asked = api_as(admin_a).post("/api/v1/ai/sql/ask", {"question": "Which authors made the most commits?"}).json()
    client.force_login(admin_a)

    page = client.get(reverse("hub:ask") + f"?id={asked['id']}").content.decode()

    assert 'data-mode="sql"' in page and 'id="sql-rows"' in page and "Daniel Sun" in page


def test_a_pair_added_in_the_admin_is_checked_like_one_from_the_api(client, groovy_rows):
    from pulse.core.models import User

    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw-root-123456"))
    add = "/admin/analytics/sqlpair/add/"
    row = {"client": groovy_rows.pk, "question": "Q?", "source": "admin"}
    refused = client.post(add, {**row, "sql": "DELETE FROM commits"})
    saved = client.post(add, {**row, "sql": "SELECT 1 AS one"})

    assert refused.status_code == 200 and "is allowed, not DELETE" in refused.content.decode()
    assert saved.status_code == 302 and SQLPair.objects.get().dialect == "postgres"
