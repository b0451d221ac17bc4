from django.urls import path
from rest_framework.routers import SimpleRouter

from pulse.core.api import views

router = SimpleRouter()
router.register("integrations", views.IntegrationViewSet, basename="integration")

urlpatterns = [
    path("auth/token/", views.TokenObtainView.as_view(), name="api-token"),
    path("auth/tokens/", views.TokenListView.as_view(), name="api-tokens"),
    path("auth/tokens/<int:token_id>/", views.TokenDetailView.as_view(), name="api-token-detail"),
    path("system/worker-ping/", views.WorkerPingView.as_view(), name="worker-ping"),
    path("system/worker-ping/<str:task_id>/", views.WorkerPingStatusView.as_view(), name="worker-ping-status"),
    *router.urls,
]
