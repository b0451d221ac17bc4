"""Provider Management: cards, add/edit with Save & Test, test, delete with confirmation."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from ai import selectors, services
from ai.catalog import catalog_models
from ai.execution import cooling_down_until
from ai.provider_config import model_info_for
from hub.forms import PROVIDER_FIELDS, PROVIDER_LABELS, ProviderForm, add_service_errors
from hub.views.common import confirm_delete, require_admin, tenant_page


def _card(integration) -> dict:
    info = model_info_for(integration)
    return {
        "integration": integration,
        "label": PROVIDER_LABELS.get(integration.provider, integration.provider),
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
    """Save & Test: build the unsaved provider, test it, save only if it passes (or when asked to
    save without a test). Returns the saved integration or None (the form then carries the reason)."""
    data = form.service_data()
    test_first = request.POST.get("action") != "save"
    try:
        draft = services.provider_draft(client=request.client, data=data, base=instance)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None
    result = None
    if test_first:
        result = services.provider_test(client=request.client, integration=draft)
        if not result.ok:
            form.add_error(None, f"Test failed, nothing was saved: {result.reason}")
            return None
    try:
        with transaction.atomic():
            if instance is None:
                saved = services.provider_create(client=request.client, data=data)
            else:
                saved = services.provider_update(integration=instance, data=data)
            if result is not None:
                services.provider_record_test(integration=saved, result=result)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None
    if result is None:
        messages.warning(request, f"Saved {saved.integration_name} without a test.")
    else:
        size = f", {result.dimensions} dimensions" if result.dimensions else ""
        messages.success(request, f"Saved {saved.integration_name}. Test passed in {result.latency_ms:.0f} ms{size}.")
    return saved


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
    result = services.provider_test(client=request.client, integration=integration)
    if result.ok:
        messages.success(request, f"{integration.integration_name}: test passed in {result.latency_ms:.0f} ms.")
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
