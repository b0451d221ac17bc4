from django.urls import path
from django.views.generic import RedirectView

from hub.views import agents, alerts, ask, dashboard, embeddings, providers, records, sources, testing, usage

app_name = "hub"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="hub:providers"), name="index"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("ask/", ask.ask_page, name="ask"),
    path("ask/stream/", ask.ask_stream, name="ask-stream"),
    path("ask/<int:interaction_id>/feedback/", ask.ask_feedback, name="ask-feedback"),
    path("ask/<int:interaction_id>/save-pair/", ask.ask_save_pair, name="ask-save-pair"),
    path("dashboard/compute/", dashboard.dashboard_compute, name="dashboard-compute"),
    path("dashboard/insights/", dashboard.dashboard_insights, name="dashboard-insights"),
    path(
        "dashboard/insights/<int:insight_id>/state/", dashboard.dashboard_insight_state, name="dashboard-insight-state"
    ),
    path("dashboard/settings/<int:repository_id>/", dashboard.dashboard_settings, name="dashboard-settings"),
    path("alerts/", alerts.alerts_page, name="alerts"),
    path("alerts/webhook/", alerts.alert_webhook_view, name="alert-webhook"),
    path("alerts/<int:alert_id>/resolve/", alerts.alert_resolve_view, name="alert-resolve"),
    path("providers/", providers.provider_list, name="providers"),
    path("providers/new/", providers.provider_create, name="provider-create"),
    path("providers/<int:provider_id>/edit/", providers.provider_edit, name="provider-edit"),
    path("providers/<int:provider_id>/test/", providers.provider_test, name="provider-test"),
    path("providers/<int:provider_id>/delete/", providers.provider_delete, name="provider-delete"),
    path("embeddings/", embeddings.embeddings_page, name="embeddings"),
    path("embeddings/switch/", embeddings.embedding_switch, name="embedding-switch"),
    path("embeddings/backfill/", embeddings.backfill_start_view, name="backfill-start"),
    path("embeddings/backfill/<int:job_id>/", embeddings.backfill_status, name="backfill-status"),
    path("embeddings/backfill/<int:job_id>/cancel/", embeddings.backfill_cancel_view, name="backfill-cancel"),
    path("agents/", agents.agents_page, name="agents"),
    path("testing/", testing.testing_page, name="testing"),
    path("records/<str:table>/<int:record_id>/", records.record_detail, name="record"),
    path("usage/", usage.usage_page, name="usage"),
    path("usage/budget/", usage.budget_update, name="budget"),
    path("sources/", sources.source_list, name="sources"),
    path("sources/new/<str:kind>/", sources.source_create_view, name="source-create"),
    path("sources/<int:source_id>/edit/", sources.source_edit, name="source-edit"),
    path("sources/<int:source_id>/test/", sources.source_test_view, name="source-test"),
    path("sources/<int:source_id>/sync/", sources.source_sync_view, name="source-sync"),
    path("sources/<int:source_id>/schedule/", sources.source_schedule_view, name="source-schedule"),
    path("sources/<int:source_id>/delete/", sources.source_delete, name="source-delete"),
]
