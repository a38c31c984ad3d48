from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from organisations.forms import SignInForm

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", auth_views.LoginView.as_view(authentication_form=SignInForm, redirect_authenticated_user=True),
         name="login"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz/", views.healthz, name="healthz"),
    path("escalations/", include("escalations.urls")),
    path("escalations/", include("oversight.urls")),
    path("notifications/", include("notifications.urls")),
    path("absences/", include("organisations.absence_urls")),
    path("reports/", include("reports.urls")),
    path("api/", include("escalation_tracker.api_urls")),
    path("scim/v2/", include("scim.urls")),
    path("admin/", admin.site.urls),
]
