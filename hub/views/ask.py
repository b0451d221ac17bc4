"""Ask: a question answered from the tenant's data, with numbered sources, confidence, mode and
cost; follow-up questions as buttons; thumbs up or down; the asker's recent questions."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from analytics.qa.services import qa_ask, qa_feedback, qa_history, qa_interaction_get
from hub.views.common import flash_service_error, tenant_page

MAX_QUESTION = 1000


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
