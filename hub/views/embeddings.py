"""Embedding Models: the tenant's embedding provider, coverage per table, backfill with live progress."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from ai.execution.rows import model_info_for
from ai.models import BackfillJob
from ai.providers.catalog import catalog_models
from ai.setup.embedding_choice import current_embedding_integration, embedding_integration_set, embedding_switch_plan
from ai.vectors.backfill import backfill_cancel, backfill_get, backfill_plan, backfill_queue
from hub.forms import BackfillForm, EmbeddingChoiceForm
from hub.views.common import flash_service_error, require_admin, tenant_page
from pulse.core.queue import BrokerUnavailable


def _coverage(client) -> list[dict]:
    return [
        {
            "table": row["table"],
            "label": row["table"].replace("_", " "),
            "records": row["total"],
            "vectors": row["total"] - row["missing"],
            "queued": row["missing"],
            "percent": 100 if not row["total"] else round(100 * (row["total"] - row["missing"]) / row["total"], 1),
        }
        for row in backfill_plan(client=client)
    ]


def job_state(job: BackfillJob | None) -> dict | None:
    if job is None:
        return None
    eta = job.eta_seconds
    return {
        "id": job.pk,
        "status": job.status,
        "active": job.active,
        "total": job.total,
        "processed": job.processed,
        "succeeded": job.succeeded,
        # succeeded counts both: what got a new vector, and what already had a current one.
        "embedded": job.succeeded - job.skipped,
        "current": job.skipped,
        "failed": job.failed,
        "skipped": job.skipped,
        "percent": job.percent,
        "eta_seconds": None if eta is None else round(eta),
        "current_table": job.current_table,
        "provider": job.provider,
        "last_errors": [str(e) for e in (job.last_errors or [])][-5:],
        "created_at": job.created_at.isoformat(),
    }


@tenant_page
@require_GET
def embeddings_page(request):
    client = request.client
    current = current_embedding_integration(client=client)
    job = BackfillJob.objects.for_client(client).order_by("-id").first()
    context = {
        "section": "embeddings",
        "current": current,
        "current_info": model_info_for(current) if current else None,
        "choice_form": EmbeddingChoiceForm(client=client, initial={"integration": current.pk if current else None}),
        "catalog": catalog_models(capability="embedding"),
        "coverage": _coverage(client),
        "job": job_state(job),
        "backfill_form": BackfillForm(),
    }
    return render(request, "hub/embeddings.html", context)


@tenant_page
@require_POST
def embedding_switch(request):
    """Choose the embedding provider. A different model means new collections and re-embedding every
    record; that is explained, with counts and the estimated cost, before anything changes."""
    require_admin(request)
    form = EmbeddingChoiceForm(request.POST, client=request.client)
    if not form.is_valid():
        messages.error(request, "Choose one of your active embedding providers.")
        return redirect("hub:embeddings")
    target = form.cleaned_data["integration"]
    plan = embedding_switch_plan(client=request.client, target=target)
    if plan.current and plan.current.pk == target.pk:
        messages.info(request, f"{target.integration_name} already makes this tenant's embeddings.")
        return redirect("hub:embeddings")
    if not plan.same_model and request.POST.get("confirm") != "yes":
        return render(
            request,
            "hub/embedding_switch.html",
            {
                "section": "embeddings",
                "plan": plan,
                "current_info": model_info_for(plan.current) if plan.current else None,
                "target_info": model_info_for(target),
            },
        )
    try:
        with transaction.atomic():
            embedding_integration_set(client=request.client, integration=target)
            started = None
            if not plan.same_model and request.POST.get("start_backfill"):
                started, _ = backfill_queue(client=request.client)
    except ValidationError as exc:
        flash_service_error(request, exc)
        return redirect("hub:embeddings")
    except BrokerUnavailable:
        messages.warning(
            request,
            f"Embeddings now come from {target.integration_name}. The task queue is unreachable: the backfill "
            "is saved and starts within a minute or two of the queue coming back.",
        )
        return redirect("hub:embeddings")
    note = f" Backfill #{started.pk} is re-embedding {plan.records:,} records." if started else ""
    messages.success(request, f"Embeddings now come from {target.integration_name}.{note}")
    return redirect("hub:embeddings")


@tenant_page
@require_POST
def backfill_start_view(request):
    require_admin(request)
    form = BackfillForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose tables from the list.")
        return redirect("hub:embeddings")
    try:
        job, created = backfill_queue(client=request.client, tables=form.cleaned_data["tables"] or None)
    except BrokerUnavailable as exc:
        messages.error(request, str(exc))
        return redirect("hub:embeddings")
    if created:
        messages.success(request, f"Backfill #{job.pk} queued: {job.total:,} records to check.")
    else:
        messages.info(request, f"Backfill #{job.pk} is already {job.status}; follow it below.")
    return redirect("hub:embeddings")


@tenant_page
@require_POST
def backfill_cancel_view(request, job_id: int):
    require_admin(request)
    job = backfill_cancel(job=backfill_get(client=request.client, job_id=job_id))
    messages.info(request, f"Backfill #{job.pk}: cancel requested ({job.status}).")
    return redirect("hub:embeddings")


@tenant_page
@require_GET
@never_cache
def backfill_status(request, job_id: int):
    """Polled by the progress bar: the job and, when it has ended, the fresh coverage."""
    state = job_state(backfill_get(client=request.client, job_id=job_id))
    if not state["active"]:
        state["coverage"] = _coverage(request.client)
    return JsonResponse(state)
