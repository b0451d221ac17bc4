"""The Ask page: a member asks, reads the answer with numbered citations linking to the records, its
confidence, mode and cost, follows up, gives feedback and finds the question in the history."""

from pathlib import Path

import pytest
from django.urls import reverse

from analytics.qa.models import QAInteraction
from etl.services.imports import commits_import_file
from tests.ai.factories import local_embedding
from tests.factories import make_user

pytestmark = pytest.mark.django_db
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "commits" / "apache-groovy-30.jsonl"


@pytest.fixture
def member(client, member_a, tenant_a):
    local_embedding(tenant_a)
    commits_import_file(client=tenant_a, path=FIXTURE)
    client.force_login(member_a)
    return client


def test_a_member_asks_and_reads_an_answer_with_linked_sources(member):
    response = member.post(reverse("hub:ask"), {"question": "What did GROOVY-12283 change?"})

    page = response.content.decode()
    interaction = QAInteraction.objects.get()
    assert response.status_code == 200 and 'data-mode="extractive"' in page
    assert '<a class="cite" href="#source-1">[1]</a>' in page and 'id="source-1"' in page
    assert f'href="/hub/records/commits/{interaction.response["citations"][0]["record_id"]}/"' in page
    assert "confidence" in page and "route: search" in page
    assert "What did GROOVY-12283 change?" in page.split('id="history-h"')[1]  # the history lists it


def test_feedback_is_kept_and_shown_on_the_answer(member):
    member.post(reverse("hub:ask"), {"question": "What did GROOVY-12283 change?"})
    interaction = QAInteraction.objects.get()

    response = member.post(reverse("hub:ask-feedback", args=[interaction.pk]), {"helpful": "no"}, follow=True)

    interaction.refresh_from_db()
    assert interaction.helpful is False
    assert 'value="no" aria-pressed="true"' in response.content.decode()


def test_answers_are_private_to_their_asker_and_tenant(member, client, tenant_a, tenant_b):
    member.post(reverse("hub:ask"), {"question": "What did GROOVY-12283 change?"})
    interaction = QAInteraction.objects.get()
    url = reverse("hub:ask") + f"?id={interaction.pk}"

    client.force_login(make_user(tenant_a, "colleague"))
    colleague = client.get(url).status_code
    client.force_login(make_user(tenant_b, "stranger"))
    stranger = client.get(url).status_code
    feedback = client.post(reverse("hub:ask-feedback", args=[interaction.pk]), {"helpful": "yes"}).status_code

    assert (colleague, stranger, feedback) == (404, 404, 404)


def test_an_empty_question_is_a_400_with_a_message(member):
    response = member.post(reverse("hub:ask"), {"question": "   "})

    assert response.status_code == 400 and "Type a question" in response.content.decode()
    assert not QAInteraction.objects.exists()


def test_the_dashboard_has_an_ask_box(member):
    page = member.get(reverse("hub:dashboard")).content.decode()

    assert f'action="{reverse("hub:ask")}"' in page and 'name="question"' in page
