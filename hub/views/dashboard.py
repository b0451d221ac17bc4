"""The Dashboard, the page a user lands on: the four DORA tiles with their level and a sparkline,
weekly charts, a repository and window picker, the insights with their actions, and an empty
state that says what data is missing and how to add it."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from analytics.insights.selectors import insight_get, insight_list
from analytics.insights.services import insight_state_set, insights_generate
from analytics.metrics.definitions import DEFINITIONS
from analytics.metrics.selectors import (
    delivery_metrics,
    delivery_settings_get,
    repository_get,
    repository_list,
    window_parse,
)
from analytics.metrics.services import delivery_compute, delivery_settings_set
from analytics.models import DeliverySettings
from analytics.narrative import insight_settings
from hub.delivery_charts import sparkline, weekly_chart
from hub.views.common import flash_service_error, require_admin, tenant_page
from pulse.core.alerts import alert_list

WINDOWS = (("4w", "4 weeks"), ("12w", "12 weeks"), ("26w", "26 weeks"), ("52w", "1 year"), ("24m", "2 years"))
WINDOWS += (("all", "All time"),)
METRIC_NAMES = {
    "deployments": "deployments",
    "lead_time_median_seconds": "lead time",
    "failed": "failed deployments",
    "prs_merged": "pull requests merged",
    "pr_lead_time_median_seconds": "pull request lead time",
}


INSIGHT_ACTIONS = (("seen", "Mark seen"), ("dismissed", "Dismiss"), ("new", "Mark new"))


def _without(query, name: str) -> str:
    copy = query.copy()
    copy.pop(name, None)
    return copy.urlencode()


class DashboardForm(forms.Form):
    window = forms.ChoiceField(choices=WINDOWS, required=False)
    repository = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(self, *args, repositories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["repository"].choices = [("", "All repositories"), *((r.pk, r.full_name) for r in repositories)]


class DeliverySettingsForm(forms.Form):
    """How one repository's deployments are found (the same rules as the API's settings endpoint)."""

    deployment_source = forms.ChoiceField(choices=DeliverySettings.Source.choices, label="Deployments are")
    patch_failure_days = forms.IntegerField(
        min_value=0,
        max_value=365,
        label="Patch release marks a failure within (days)",
        help_text="A patch release of the same major.minor this soon after a release marks that release failed.",
    )


def _settings_form(client, repository) -> DeliverySettingsForm | None:
    if repository is None:
        return None
    stored = delivery_settings_get(client=client, repository=repository)
    initial = {"deployment_source": stored.deployment_source, "patch_failure_days": stored.patch_failure_days}
    return DeliverySettingsForm(initial=initial)


def _tiles(metrics: dict) -> list[dict]:
    series = metrics["series"]
    deployments, lead, failure, restore = (
        metrics[key] for key in ("deployments", "lead_time", "change_failure_rate", "time_to_restore")
    )
    return [
        {
            "key": "frequency",
            "label": "Deployment frequency",
            "value": deployments["per_week"],
            "format": "per_week",
            "detail": deployments,
            "level": deployments["level"],
            "spark": sparkline([row["deployments"] for row in series]),
        },
        {
            "key": "lead_time",
            "label": "Lead time for changes",
            "value": lead["median_seconds"],
            "format": "duration",
            "detail": lead,
            "level": lead["level"],
            "spark": sparkline([row["lead_time_median_seconds"] for row in series]),
        },
        {
            "key": "failure_rate",
            "label": "Change failure rate",
            "value": failure["rate"],
            "format": "percent",
            "detail": failure,
            "level": failure["level"],
            "spark": sparkline([row["change_failure_rate"] for row in series]),
        },
        {
            "key": "restore",
            "label": "Time to restore",
            "value": restore["median_seconds"],
            "format": "duration",
            "detail": restore,
            "level": restore["level"],
            "spark": sparkline([row["time_to_restore_median_seconds"] for row in series]),
        },
    ]


def _charts(series: list[dict]) -> list[dict]:
    return [
        {"key": "deployments", "title": "Deployments per week", "unit": "", **weekly_chart(series, "deployments")},
        {
            "key": "lead_time",
            "title": "Median lead time (hours)",
            "unit": " h",
            **weekly_chart(series, "lead_time_median_seconds", scale=3600),
        },
        {"key": "prs", "title": "Pull requests merged per week", "unit": "", **weekly_chart(series, "prs_merged")},
        {
            "key": "failure_rate",
            "title": "Change failure rate (%)",
            "unit": " %",
            **weekly_chart(series, "change_failure_rate", scale=0.01),
        },
    ]


AUTO_REFRESH_SECONDS = 300


def _auto_refresh(client) -> int | None:
    """The tenant's "auto refresh" agent setting: the page reloads itself while it is open."""
    return AUTO_REFRESH_SECONDS if insight_settings(client=client)["auto_refresh"] else None


@tenant_page
@require_GET
def dashboard(request):
    repositories = repository_list(client=request.client)
    form = DashboardForm(request.GET, repositories=repositories)
    choice = form.cleaned_data if form.is_valid() else {}
    window = window_parse(value=choice.get("window") or "12w", end=timezone.now())
    repository = (
        repository_get(client=request.client, repository_id=choice["repository"]) if choice.get("repository") else None
    )
    metrics = delivery_metrics(client=request.client, window=window, repository=repository, granularity="week")
    show_all = request.GET.get("insights") == "all"
    insights = insight_list(client=request.client, states=None if show_all else ["new", "seen"])[:20]
    return render(
        request,
        "hub/dashboard.html",
        {
            "form": form,
            "window": window,
            "windows": WINDOWS,
            "repository": repository,
            "repositories": repositories,
            "metrics": metrics,
            "tiles": _tiles(metrics),
            "charts": _charts(metrics["series"]),
            "insights": insights,
            "alerts": alert_list(client=request.client, limit=10),
            "show_all_insights": show_all,
            "definitions": DEFINITIONS,
            "settings_form": _settings_form(request.client, repository),
            "insight_actions": INSIGHT_ACTIONS,
            "query": _without(request.GET, "insights"),
            "auto_refresh_seconds": _auto_refresh(request.client),
        },
    )


def _back(request):
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/hub/dashboard/") else "hub:dashboard")


@tenant_page
@require_POST
def dashboard_compute(request):
    """Compute the metrics now (they are otherwise computed within minutes of a sync)."""
    computation = delivery_compute(client=request.client)
    counts = computation.counts
    messages.success(
        request, f"Metrics computed: {counts['deployments']} deployments, {counts['pull_requests']} pull requests."
    )
    return _back(request)


@tenant_page
@require_POST
def dashboard_insights(request):
    """Generate insights now, with the tenant's agent settings."""
    generated = insights_generate(client=request.client)
    messages.success(request, f"Insights generated: {len(generated.insights)} found.")
    short = sorted({METRIC_NAMES.get(item["metric"], item["metric"]) for item in generated.not_enough_data})
    if short:
        messages.info(request, f"Not enough data yet (under 6 weeks) for: {', '.join(short)}.")
    return _back(request)


@tenant_page
@require_POST
def dashboard_insight_state(request, insight_id: int):
    insight = insight_get(client=request.client, insight_id=insight_id)
    state = request.POST.get("state", "")
    if state in dict(INSIGHT_ACTIONS):
        insight_state_set(insight=insight, state=state)
        messages.success(request, f"Marked “{insight.title}” {state}.")
    else:
        messages.error(request, "Choose seen, dismissed or new.")
    return _back(request)


@tenant_page
@require_POST
def dashboard_settings(request, repository_id: int):
    """Choose how a repository's deployments are found (tenant admins); metrics follow at the next
    computation, which the message offers to run now."""
    repository = repository_get(client=request.client, repository_id=repository_id)
    require_admin(request)
    form = DeliverySettingsForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label}: {' '.join(errors)}")
        return _back(request)
    try:
        delivery_settings_set(client=request.client, repository=repository, **form.cleaned_data)
    except ValidationError as error:
        flash_service_error(request, error)
        return _back(request)
    messages.success(
        request, f"Delivery settings saved for {repository.full_name}; press Compute now to apply them at once."
    )
    return _back(request)
