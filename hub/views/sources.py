"""Data Sources: Jira, GitHub and local git integrations, their tests, syncs and run history."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from etl import selectors
from etl.services.schedules import sync_schedule_get, sync_schedule_set
from etl.services.sources import (
    SOURCE_TEST_CHECKS,
    SOURCE_TYPES,
    source_create,
    source_sync_enqueue,
    source_test,
    source_update,
)
from etl.services.sources import (
    source_delete as delete_source,
)
from hub.forms import ScheduleForm, SourceForm, add_service_errors
from hub.views.common import confirm_delete, flash_service_error, require_admin, tenant_page
from pulse.core.models import Integration
from pulse.core.queue import BrokerUnavailable

KIND_LABELS = dict(Integration.Type.choices)


@tenant_page
def source_list(request):
    sources = selectors.source_list(client=request.client)
    for source in sources:
        source.schedule = sync_schedule_get(integration=source)
    return render(
        request,
        "hub/sources.html",
        {
            "section": "sources",
            "sources": sources,
            "runs": selectors.run_list(client=request.client, limit=25),
            "kinds": [(kind, KIND_LABELS[kind]) for kind in SOURCE_TYPES],
        },
    )


def _form_page(request, form, kind, instance=None, status=200):
    return render(
        request,
        "hub/source_form.html",
        {
            "form": form,
            "kind": kind,
            "kind_label": KIND_LABELS[kind],
            "instance": instance,
            "section": "sources",
            "test_checks": SOURCE_TEST_CHECKS[kind],
            "schedule_form": _schedule_form(instance) if instance else None,
        },
        status=status,
    )


def _schedule_form(source) -> ScheduleForm:
    schedule = sync_schedule_get(integration=source)
    return ScheduleForm(initial={"kind": schedule.kind, "every_minutes": schedule.every_minutes, "cron": schedule.cron})


@tenant_page
@require_http_methods(["GET", "POST"])
def source_create_view(request, kind: str):
    if kind not in SOURCE_TYPES:
        raise Http404("No such source type.")
    if request.method == "POST":
        require_admin(request)
        form = SourceForm(request.POST, kind=kind)
        if form.is_valid():
            try:
                source = source_create(client=request.client, kind=kind, data=form.service_data())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Added {source.integration_name}. Test it, then sync.")
                return redirect("hub:sources")
        return _form_page(request, form, kind, status=400)
    return _form_page(request, SourceForm(kind=kind, initial={"active": True}), kind)


@tenant_page
@require_http_methods(["GET", "POST"])
def source_edit(request, source_id: int):
    instance = selectors.source_get(client=request.client, source_id=source_id)
    kind = instance.integration_type
    if request.method == "POST":
        require_admin(request)
        form = SourceForm(request.POST, kind=kind, instance=instance)
        if form.is_valid():
            try:
                source_update(integration=instance, data=form.service_data())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Saved {instance.integration_name}.")
                return redirect("hub:sources")
        return _form_page(request, form, kind, instance, status=400)
    form = SourceForm(kind=kind, instance=instance, initial=SourceForm.initial_for(instance))
    return _form_page(request, form, kind, instance)


@tenant_page
@require_POST
def source_schedule_view(request, source_id: int):
    """Sync every N minutes, on a cron expression (UTC), or only when asked."""
    require_admin(request)
    source = selectors.source_get(client=request.client, source_id=source_id)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        flash_service_error(request, ValidationError(form.errors))
        return redirect("hub:source-edit", source_id=source.pk)
    try:
        schedule = sync_schedule_set(integration=source, **form.cleaned_data)
    except ValidationError as exc:
        flash_service_error(request, exc)
    else:
        messages.success(request, f"{source.integration_name}: syncs {schedule.label}.")
    return redirect("hub:source-edit", source_id=source.pk)


@tenant_page
@require_POST
def source_test_view(request, source_id: int):
    require_admin(request)
    source = selectors.source_get(client=request.client, source_id=source_id)
    result = source_test(integration=source)
    if result.ok:
        messages.success(
            request, f"{source.integration_name}: connected in {result.latency_ms:.0f} ms — {result.detail}."
        )
    else:
        messages.error(request, f"{source.integration_name}: test failed — {result.detail} (Test {result.checked}.)")
    return redirect("hub:sources")


@tenant_page
@require_POST
def source_sync_view(request, source_id: int):
    require_admin(request)
    source = selectors.source_get(client=request.client, source_id=source_id)
    try:
        with transaction.atomic():
            run = source_sync_enqueue(integration=source)
    except ValidationError as exc:
        flash_service_error(request, exc)
    except BrokerUnavailable as exc:
        messages.error(request, f"{source.integration_name}: {exc}")
    else:
        messages.success(request, f"{source.integration_name}: sync queued as run #{run.pk}; its status follows below.")
    return redirect("hub:sources")


@tenant_page
@require_http_methods(["GET", "POST"])
def source_delete(request, source_id: int):
    source = selectors.source_get(client=request.client, source_id=source_id)
    return confirm_delete(
        request,
        source,
        kind="data source",
        back="hub:sources",
        done=" Its imported records stay.",
        delete=lambda: delete_source(integration=source),
    )
