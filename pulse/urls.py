from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from pulse.core import views as core_views

admin.site.site_header = "Pulse administration"
admin.site.site_title = "Pulse admin"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", core_views.metrics, name="metrics"),
    # Browsers and bookmarks ask for /favicon.ico whatever the page's <link rel="icon"> says.
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("hub/", include("hub.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("pulse.core.api.urls")),
    path("api/v1/ai/", include("ai.api.urls")),
    path("api/v1/etl/", include("etl.api.urls")),
    path("api/v1/", include("analytics.api.urls")),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

handler400 = "pulse.core.views.bad_request"
handler404 = "pulse.core.views.not_found"
handler500 = "pulse.core.views.server_error"
