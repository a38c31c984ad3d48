from django.contrib import admin
from django.urls import include, path

from administration.views import PasswordSetView

from . import health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("identity.urls")),  # sign in (password or the organisation's single sign-on), sign out
    path("healthz/", health.healthz, name="healthz"),
    path("readyz/", health.readyz, name="readyz"),
    path("set-password/<uidb64>/<token>/", PasswordSetView.as_view(), name="password_set"),
    path("administration/", include("administration.urls")),
    path("escalations/", include("escalations.urls")),
    path("escalations/", include("oversight.urls")),
    path("notifications/", include("notifications.urls")),
    path("absences/", include("organisations.absence_urls")),
    path("reports/", include("reports.urls")),
    path("access-log/", include("audit.urls")),
    path("api/", include("escalation_tracker.api_urls")),
    path("scim/v2/", include("scim.urls")),
    path("admin/", admin.site.urls),
]

# The site's error pages (GOV.UK patterns): what happened and where to go.
handler400 = "core.error_pages.bad_request"
handler403 = "core.error_pages.permission_denied"
handler404 = "core.error_pages.page_not_found"
handler500 = "core.error_pages.server_error"
