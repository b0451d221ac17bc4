"""AI Agents: question answering, insight generation and dashboard AI preferences."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ai.setup.agents import agent_preferences, agent_preferences_set
from hub.forms import AgentForm, add_service_errors
from hub.views.common import require_admin, tenant_page


@tenant_page
@require_http_methods(["GET", "POST"])
def agents_page(request):
    status = 200
    if request.method == "POST":
        require_admin(request)
        form = AgentForm(request.POST, client=request.client)
        if form.is_valid():
            try:
                agent_preferences_set(client=request.client, **form.service_data())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Agent settings saved.")
                return redirect("hub:agents")
        status = 400
    else:
        preferences = agent_preferences(client=request.client)
        form = AgentForm(client=request.client, initial=AgentForm.initial_from(preferences))
    has_text_models = form.fields["primary_model"].queryset.exists()
    return render(
        request,
        "hub/agents.html",
        {"form": form, "section": "agents", "has_text_models": has_text_models},
        status=status,
    )
