"""Ask: a question answered from the tenant's data, with numbered sources, confidence, mode and
cost; follow-up questions as buttons; thumbs up or down; the asker's recent questions. With
JavaScript, a generative answer's text streams in while the model writes it (`ask_stream`); the
page then shows the checked answer."""

import json
import logging
import queue
import threading

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from analytics.qa.services import qa_ask, qa_feedback, qa_history, qa_interaction_get
from analytics.sql.services import sql_pair_from_answer
from hub.sql_chart import sql_chart
from hub.views.common import flash_service_error, require_admin, tenant_page

MAX_QUESTION = 1000
logger = logging.getLogger(__name__)


def _shown(request) -> dict | None:
    interaction_id = request.GET.get("id")
    if not interaction_id:
        return None
    if not interaction_id.isdigit():
        raise Http404("No such answer.")
    interaction = qa_interaction_get(client=request.client, user=request.user, interaction_id=interaction_id)
    return {**interaction.response, "id": interaction.pk, "helpful": interaction.helpful}


@tenant_page
@require_http_methods(["GET", "POST"])
def ask_page(request):
    answer = _shown(request)
    question = (request.POST.get("question") or request.GET.get("q") or "").strip()
    status = 200
    if request.method == "POST":  # asking changes no setting: members may ask
        if not question or len(question) > MAX_QUESTION:
            messages.error(request, f"Type a question of at most {MAX_QUESTION:,} characters.")
            status = 400
        else:
            try:
                answer = qa_ask(client=request.client, user=request.user, question=question)
            except ValidationError as exc:
                flash_service_error(request, exc)
                status = 400
    context = {
        "section": "ask",
        "question": question,
        "answer": answer,
        "chart": sql_chart((answer or {}).get("table")),
        "history": qa_history(client=request.client, user=request.user, limit=15),
    }
    return render(request, "hub/ask.html", context, status=status)


@tenant_page
@require_POST
def ask_feedback(request, interaction_id: int):
    interaction = qa_interaction_get(client=request.client, user=request.user, interaction_id=interaction_id)
    helpful = request.POST.get("helpful") == "yes"
    qa_feedback(interaction=interaction, helpful=helpful)
    messages.success(request, "Thanks: noted." if helpful else "Thanks: noted, this answer was not helpful.")
    return redirect(reverse("hub:ask") + f"?id={interaction_id}")


@tenant_page
@require_POST
def ask_save_pair(request, interaction_id: int):
    """An admin saves a SQL answer as a question/SQL pair (which marks it helpful)."""
    require_admin(request)
    qa_interaction_get(client=request.client, user=request.user, interaction_id=interaction_id)
    try:
        sql_pair_from_answer(client=request.client, user=request.user, interaction_id=interaction_id)
        messages.success(request, "Saved: close questions will now run this SQL without a model.")
    except ValidationError as exc:
        flash_service_error(request, exc)
    return redirect(reverse("hub:ask") + f"?id={interaction_id}")


def _answer_in_thread(client, user, question: str, events: queue.Queue) -> None:
    """Runs on its own thread so the response can stream; its database connection is its own."""
    try:
        answer = qa_ask(client=client, user=user, question=question, on_text=lambda text: events.put(("delta", text)))
        events.put(("done", {"id": answer["id"]}))
    except Exception:
        logger.exception("streamed question failed")
        events.put(("error", {"detail": "The question could not be answered; try again."}))
    finally:
        connection.close()
        events.put(None)


@tenant_page
@require_POST
def ask_stream(request):
    """Server-sent events: `delta` (text as the model writes it), then `done` with the answer's id
    (the page then loads the checked answer) or `error`."""
    question = (request.POST.get("question") or "").strip()
    if not question or len(question) > MAX_QUESTION:
        return JsonResponse({"question": [f"Type a question of at most {MAX_QUESTION:,} characters."]}, status=400)
    events: queue.Queue = queue.Queue()
    threading.Thread(
        target=_answer_in_thread, args=(request.client, request.user, question, events), daemon=True
    ).start()

    def stream():
        while (event := events.get()) is not None:
            yield f"event: {event[0]}\ndata: {json.dumps(event[1])}\n\n"

    response = StreamingHttpResponse(stream(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # a proxy must pass the pieces on as they come
    return response
