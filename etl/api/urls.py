"""Mounted at /api/v1/etl/ by the project's URLs."""

from django.urls import path

from etl.api import record_views as records
from etl.api import views

urlpatterns = [
    path("sources/", views.SourceListView.as_view(), name="etl-sources"),
    path("sources/<int:source_id>/", views.SourceDetailView.as_view(), name="etl-source"),
    path("sources/<int:source_id>/test/", views.SourceTestView.as_view(), name="etl-source-test"),
    path("sources/<int:source_id>/sync/", views.SourceSyncView.as_view(), name="etl-source-sync"),
    path("sources/<int:source_id>/schedule/", views.SourceScheduleView.as_view(), name="etl-source-schedule"),
    path("runs/", views.RunListView.as_view(), name="etl-runs"),
    path("runs/<int:run_id>/", views.RunDetailView.as_view(), name="etl-run"),
    path("work-items/", records.WorkItemListView.as_view(), name="etl-work-items"),
    path("work-items/<int:work_item_id>/", records.WorkItemDetailView.as_view(), name="etl-work-item"),
    path("pull-requests/", records.PullRequestListView.as_view(), name="etl-pull-requests"),
    path("pull-requests/<int:pull_request_id>/", records.PullRequestDetailView.as_view(), name="etl-pull-request"),
    path("reviews/", records.ReviewListView.as_view(), name="etl-reviews"),
    path("reviews/<int:review_id>/", records.ReviewDetailView.as_view(), name="etl-review"),
    path("commits/", records.CommitListView.as_view(), name="etl-commits"),
    path("commits/<int:commit_id>/", records.CommitDetailView.as_view(), name="etl-commit"),
    path("releases/", records.ReleaseListView.as_view(), name="etl-releases"),
    path("releases/<int:release_id>/", records.ReleaseDetailView.as_view(), name="etl-release"),
]
