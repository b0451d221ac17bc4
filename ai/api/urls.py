from django.urls import path

from ai.api import views

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
    path("gateway/key-info/", views.GatewayKeyInfoView.as_view(), name="ai-gateway-key-info"),
]
