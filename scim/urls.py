"""SCIM 2.0, under /scim/v2/ (the base URL an identity provider is given)."""
from django.urls import path, re_path

from . import views

app_name = "scim"
urlpatterns = [
    path("Users", views.UserListView.as_view(), name="users"),
    path("Users/<int:pk>", views.UserDetailView.as_view(), name="user"),
    path("ServiceProviderConfig", views.ServiceProviderConfigView.as_view(), name="service_provider_config"),
    path("Schemas", views.SchemasView.as_view(), name="schemas"),
    path("ResourceTypes", views.ResourceTypesView.as_view(), name="resource_types"),
    re_path(r"^.*$", views.not_found),
]
