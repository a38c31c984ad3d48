"""Signing in and out; included at the root by the project's URL map."""
from django.urls import path

from . import views

urlpatterns = [
    path("sign-in/", views.SignInView.as_view(), name="login"),
    path("sign-in/organisation/callback/", views.sign_on_callback, name="sign_in_callback"),
    path("sign-in/organisation/<slug:slug>/", views.SignOnStartView.as_view(), name="sign_in_organisation"),
    path("sign-out/", views.sign_out, name="logout"),
]
