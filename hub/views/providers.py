"""Provider Management: cards, add/edit with Save & Test, test, delete with confirmation."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from ai.execution import selectors
from ai.execution.cooldown import cooling_down_until
from ai.execution.rows import model_info_for
from ai.providers.catalog import catalog_models
from ai.providers.registry import provider_label
from ai.setup import providers as setup
from hub.forms import PROVIDER_FIELDS, ProviderForm, add_service_errors
from hub.views.common import confirm_delete, require_admin, tenant_page


def _card(integration) -> dict:
    info = model_info_for(integration)
    return {
        "integration": integration,
        "label": provider_label(integration.provider),
        "info": info,
        "last_test": integration.performance_config.get("last_test"),
        "cooling_until": cooling_down_until(integration) if integration.active else None,
    }


@tenant_page
def provider_list(request):
    providers = [_card(p) for p in selectors.provider_list(client=request.client)]
    return render(request, "hub/providers.html", {"providers": providers, "section": "providers"})


def _form_context(form: ProviderForm, instance=None) -> dict:
    catalog: dict[str, list[dict]] = {}
    for info in catalog_models():
        catalog.setdefault(info.provider, []).append(
            {"name": info.name, "dimensions": info.dimensions, "capabilities": list(info.capabilities)}
        )
    return {
        "form": form,
        "instance": instance,
        "section": "providers",
        "provider_fields": json.dumps(PROVIDER_FIELDS),
        "catalog": catalog,
        "fallback_dimensions": json.dumps({str(k): v for k, v in form.fallback_dimensions.items()}),
    }


def _save(request, form: ProviderForm, instance=None):
    """Save & Test through the service. Returns the saved integration or None (the form then
    carries the reason)."""
    try:
        saved = setup.provider_save(
            client=request.client,
            data=form.service_data(),
            instance=instance,
            test_first=request.POST.get("action") != "save",
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None
    if saved.integration is None:
        form.add_error(None, f"Test failed, nothing was saved: {saved.test.reason}")
        return None
    name = saved.integration.integration_name
    if saved.test is None:
        messages.warning(request, f"Saved {name} without a test.")
    else:
        size = f", {saved.test.dimensions} dimensions" if saved.test.dimensions else ""
        messages.success(request, f"Saved {name}. Test passed in {_took(saved.test)}{size}.")
    return saved.integration


def _took(result) -> str:
    """'45 ms', or '45 ms (the model loaded first, in 20.7 s)' after a cold start."""
    took = f"{result.latency_ms:.0f} ms"
    return f"{took} (the model loaded first, in {result.load_ms / 1000:.1f} s)" if result.load_ms else took


@tenant_page
@require_http_methods(["GET", "POST"])
def provider_create(request):
    if request.method == "POST":
        require_admin(request)
        form = ProviderForm(request.POST, client=request.client)
        if form.is_valid() and _save(request, form):
            return redirect("hub:providers")
    else:
        form = ProviderForm(
            client=request.client,
            initial={"provider": "sentence_transformers", "subtype": "embedding", "model_name": "all-MiniLM-L6-v2"},
        )
    status = 400 if request.method == "POST" else 200
    return render(request, "hub/provider_form.html", _form_context(form), status=status)


@tenant_page
@require_http_methods(["GET", "POST"])
def provider_edit(request, provider_id: int):
    instance = selectors.provider_get(client=request.client, provider_id=provider_id)
    if request.method == "POST":
        require_admin(request)
        form = ProviderForm(request.POST, client=request.client, instance=instance)
        if form.is_valid() and _save(request, form, instance):
            return redirect("hub:providers")
    else:
        form = ProviderForm(client=request.client, instance=instance, initial=ProviderForm.initial_for(instance))
    status = 400 if request.method == "POST" else 200
    return render(request, "hub/provider_form.html", _form_context(form, instance), status=status)


@tenant_page
@require_POST
def provider_test(request, provider_id: int):
    require_admin(request)
    integration = selectors.provider_get(client=request.client, provider_id=provider_id)
    result = setup.provider_test(client=request.client, integration=integration)
    if result.ok:
        messages.success(request, f"{integration.integration_name}: test passed in {_took(result)}.")
    else:
        messages.error(request, f"{integration.integration_name}: test failed — {result.reason}")
    return redirect("hub:providers")


@tenant_page
@require_http_methods(["GET", "POST"])
def provider_delete(request, provider_id: int):
    integration = selectors.provider_get(client=request.client, provider_id=provider_id)
    return confirm_delete(
        request,
        integration,
        kind="provider",
        back="hub:providers",
        done=" Its usage history stays in the ledger.",
        blockers=integration.fallback_for.all(),
    )
