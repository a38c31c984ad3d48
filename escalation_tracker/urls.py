from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from organisations.forms import SignInForm

from . import health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", auth_views.LoginView.as_view(authentication_form=SignInForm, redirect_authenticated_user=True),
         name="login"),
    path("sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz/", health.healthz, name="healthz"),
    path("readyz/", health.readyz, name="readyz"),
    path("escalations/", include("escalations.urls")),
    path("escalations/", include("oversight.urls")),
    path("notifications/", include("notifications.urls")),
    path("reports/", include("reports.urls")),
    path("api/", include("escalation_tracker.api_urls")),
    path("admin/", admin.site.urls),
]
