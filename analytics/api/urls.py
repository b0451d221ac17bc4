"""Mounted at /api/v1/ by the project's URLs (by string: nothing imports analytics)."""

from django.urls import path, re_path

from analytics.api import qa_views, sql_views, views

urlpatterns = [
    path("metrics/delivery/", views.DeliveryMetricsView.as_view(), name="metrics-delivery"),
    path("metrics/delivery/compute/", views.DeliveryComputeView.as_view(), name="metrics-delivery-compute"),
    path(
        "metrics/delivery/settings/<int:repository_id>/",
        views.DeliverySettingsView.as_view(),
        name="metrics-delivery-settings",
    ),
    # The design notes' path has no trailing slash; both spellings answer.
    re_path(r"^ai/dashboard/insights/?$", views.DashboardInsightsView.as_view(), name="ai-dashboard-insights"),
    path("ai/insights/", views.InsightListView.as_view(), name="ai-insights"),
    path("ai/insights/<int:insight_id>/", views.InsightDetailView.as_view(), name="ai-insight"),
    # The design notes' path has no trailing slash; both spellings answer.
    re_path(r"^ai/qa/ask/?$", qa_views.QAAskView.as_view(), name="ai-qa-ask"),
    path("ai/qa/history/", qa_views.QAHistoryView.as_view(), name="ai-qa-history"),
    path("ai/qa/<int:interaction_id>/feedback/", qa_views.QAFeedbackView.as_view(), name="ai-qa-feedback"),
    # The path has no trailing slash; both spellings answer.
    re_path(r"^ai/sql/ask/?$", sql_views.SQLAskView.as_view(), name="ai-sql-ask"),
    path("ai/sql/pairs/", sql_views.SQLPairListView.as_view(), name="ai-sql-pairs"),
    path("ai/sql/pairs/<int:pair_id>/", sql_views.SQLPairDetailView.as_view(), name="ai-sql-pair"),
]
