"""Synchronous AI work in a web request is bounded: how many texts, how many characters, how long.
Larger jobs are refused with a 400/413 that says where they go (records and a backfill)."""

import time

import httpx
import pytest

from ai.models import AIUsageTracking
from tests.ai.factories import ai_integration

pytestmark = pytest.mark.django_db
EMBEDDINGS = "/api/v1/ai/embeddings/"


def test_too_many_texts_is_a_400_naming_texts(admin_a, api_as):
    response = api_as(admin_a).post(EMBEDDINGS, {"texts": ["x"] * 65})

    assert response.status_code == 400 and "no more than 64" in response.json()["texts"][0]


def test_too_many_characters_is_a_413_that_points_to_the_backfill(admin_a, api_as, respx_mock):
    response = api_as(admin_a).post(EMBEDDINGS, {"texts": ["x" * 8000] * 9})

    assert response.status_code == 413 and "backfill" in response.json()["texts"][0]
    assert not respx_mock.calls


def test_a_slow_provider_cannot_hold_the_request_past_its_deadline(admin_a, api_as, respx_mock, settings):
    settings.AI_REQUEST_MAX_SECONDS = 1.0

    def slow(request):
        time.sleep(1.2)
        return httpx.Response(503, json={"error": {"message": "overloaded"}})

    respx_mock.post("https://api.openai.com/v1/embeddings").mock(side_effect=slow)
    provider = ai_integration(admin_a.client, "OpenAI", performance={"max_retries": 5})
    started = time.monotonic()

    response = api_as(admin_a).post(EMBEDDINGS, {"texts": ["hello"], "provider_id": provider.pk})

    assert response.status_code == 502 and time.monotonic() - started < 4
    assert respx_mock.calls.call_count == 1  # five retries were allowed; the deadline stopped them
    assert AIUsageTracking.objects.filter(client=admin_a.client, success=False).count() == 1
