"""Signing in and out; included at the root by the project's URL map."""
from django.urls import path

from . import two_factor, views

urlpatterns = [
    path("sign-in/", views.SignInView.as_view(), name="login"),
    path("sign-in/organisation/callback/", views.sign_on_callback, name="sign_in_callback"),
    path("sign-in/organisation/<slug:slug>/", views.SignOnStartView.as_view(), name="sign_in_organisation"),
    path("sign-out/", views.sign_out, name="logout"),
    path("sign-in/code/", two_factor.verify, name="two_factor_verify"),
    path("sign-in/authenticator/", two_factor.set_up, name="two_factor_set_up"),
]
