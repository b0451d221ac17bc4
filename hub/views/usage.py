"""Usage & Costs: ledger totals for a range, gateway spend, providers, a daily chart, the budget."""

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from ai.execution.budgets import budget_status, cost_limits_set
from ai.execution.selectors import provider_list
from ai.execution.usage import usage_summary
from ai.providers.errors import ProviderError
from ai.setup.providers import gateway_key_info
from hub.charts import daily_chart
from hub.forms import BudgetForm, RangeForm
from hub.views.common import flash_service_error, require_admin, tenant_page

GATEWAY_CACHE_SECONDS = 60
GATEWAY_TIMEOUT_SECONDS = 5.0


def _gateway_spend(client) -> list[dict]:
    """Each custom gateway's own total (`/key/info`), cached a minute so the page stays fast."""
    out = []
    for gateway in provider_list(client=client).filter(configuration__provider="custom_gateway", active=True):
        key = f"hub:key-info:{client.pk}:{gateway.pk}:{gateway.last_updated_at.timestamp()}"
        entry = cache.get(key)
        if entry is None:
            try:
                # A page waits at most a few seconds for a gateway, whatever its call timeout.
                info = gateway_key_info(integration=gateway, max_timeout=GATEWAY_TIMEOUT_SECONDS)
                entry = {"spend": info.spend, "max_budget": info.max_budget, "alias": info.key_alias, "error": ""}
            except (ProviderError, ValidationError) as exc:
                reason = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                entry = {"spend": None, "max_budget": None, "alias": "", "error": reason}
            cache.set(key, entry, GATEWAY_CACHE_SECONDS)
        out.append({"name": gateway.integration_name, **entry})
    return out


@tenant_page
@require_GET
def usage_page(request):
    form = RangeForm(request.GET)
    range_key = (form.cleaned_data.get("range") if form.is_valid() else None) or "7d"
    summary = usage_summary(client=request.client, range_key=range_key)
    limits = budget_status(client=request.client)
    budget_form = BudgetForm(
        initial={"daily_usd": limits.daily_limit, "monthly_usd": limits.monthly_limit, "action": limits.action}
    )
    return render(
        request,
        "hub/usage.html",
        {
            "section": "usage",
            "summary": summary,
            "range": range_key,
            "ranges": [key for key, _ in RangeForm.base_fields["range"].choices],
            "chart": daily_chart(summary["daily"]),
            "gateways": _gateway_spend(request.client),
            "budget_form": budget_form,
        },
    )


@tenant_page
@require_POST
def budget_update(request):
    require_admin(request)
    form = BudgetForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(
                request, f"{form.fields[field].label if field in form.fields else field}: {' '.join(errors)}"
            )
        return redirect("hub:usage")
    try:
        cost_limits_set(client=request.client, **form.cleaned_data)
    except ValidationError as exc:
        flash_service_error(request, exc)
    else:
        messages.success(request, "Budget saved.")
    return redirect("hub:usage")
