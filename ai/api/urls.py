from django.urls import path

from ai.api import vector_views, views

urlpatterns = [
    path("models/available/", views.ModelsAvailableView.as_view(), name="ai-models-available"),
    path("providers/", views.ProviderListView.as_view(), name="ai-providers"),
    path("providers/test/", views.ProviderDraftTestView.as_view(), name="ai-provider-draft-test"),
    path("providers/<int:provider_id>/", views.ProviderDetailView.as_view(), name="ai-provider"),
    path("providers/<int:provider_id>/test/", views.ProviderTestView.as_view(), name="ai-provider-test"),
    path("embeddings/", views.EmbeddingsView.as_view(), name="ai-embeddings"),
    path("usage/summary/", views.UsageSummaryView.as_view(), name="ai-usage-summary"),
    path("config/export/", views.ConfigExportView.as_view(), name="ai-config-export"),
    path("config/import/", views.ConfigImportView.as_view(), name="ai-config-import"),
    path("vectors/store/", vector_views.VectorStoreView.as_view(), name="ai-vectors-store"),
    path("vectors/search/", vector_views.VectorSearchView.as_view(), name="ai-vectors-search"),
    path("vectors/backfill/", vector_views.BackfillListView.as_view(), name="ai-backfill"),
    path("vectors/backfill/plan/", vector_views.BackfillPlanView.as_view(), name="ai-backfill-plan"),
    path("vectors/backfill/<int:job_id>/", vector_views.BackfillDetailView.as_view(), name="ai-backfill-job"),
    path("vectors/backfill/<int:job_id>/cancel/", vector_views.BackfillCancelView.as_view(), name="ai-backfill-cancel"),
    path("gateway/key-info/", views.GatewayKeyInfoView.as_view(), name="ai-gateway-key-info"),
]
