"""The administration pages, under /administration/."""
from django.urls import path

from . import token_views, views, webhook_views

app_name = "administration"
urlpatterns = [
    path("", views.home, name="home"),
    path("people/", views.people, name="people"),
    path("people/invite/", views.person_invite, name="person_invite"),
    path("people/<int:pk>/", views.person_detail, name="person"),
    path("people/<int:pk>/deactivate/", views.person_deactivate, name="person_deactivate"),
    path("people/<int:pk>/invite-again/", views.person_reinvite, name="person_reinvite"),
    path("people/<int:pk>/qap-chair/", views.qap_chair, name="qap_chair"),
    path("people/import/", views.import_upload, name="import"),
    path("people/import/preview/", views.import_preview, name="import_preview"),
    path("teams/", views.teams, name="teams"),
    path("teams/<int:pk>/", views.team_detail, name="team"),
    path("teams/<int:pk>/delete/", views.team_delete, name="team_delete"),
    path("settings/", views.organisation_settings, name="settings"),
    path("retention/", views.retention, name="retention"),
    path("closure-days/", views.closure_days, name="closure_days"),
    path("closure-days/<int:pk>/remove/", views.closure_day_remove, name="closure_day_remove"),
    path("tiers/", views.tiers, name="tiers"),
    path("ladders/", views.ladders, name="ladders"),
    path("ladders/<slug:slug>/", views.ladder_detail, name="ladder"),
    path("ladders/<slug:slug>/categories/", views.category_add, name="category_add"),
    path("ladders/<slug:slug>/categories/<int:pk>/remove/", views.category_remove, name="category_remove"),
    path("audit/", views.audit, name="audit"),
    # Webhooks to the organisation's case-management systems (webhook_views.py).
    path("webhooks/", webhook_views.endpoints, name="webhooks"),
    path("webhooks/new/", webhook_views.endpoint_add, name="webhook_add"),
    path("webhooks/<int:pk>/", webhook_views.endpoint_detail, name="webhook"),
    path("webhooks/<int:pk>/switch/", webhook_views.endpoint_switch, name="webhook_switch"),
    path("webhooks/<int:pk>/rotate-secret/", webhook_views.secret_rotate, name="webhook_rotate"),
    path("webhooks/<int:pk>/deliveries/", webhook_views.deliveries, name="webhook_deliveries"),
    path("webhooks/<int:pk>/deliveries/send-again/", webhook_views.deliveries_replay, name="webhook_replay"),
    path("webhooks/deliveries/<int:pk>/send-again/", webhook_views.delivery_replay, name="webhook_delivery_replay"),
    path("tokens/", token_views.tokens, name="tokens"),
    path("tokens/new/", token_views.token_new, name="token_new"),
    path("tokens/<int:pk>/revoke/", token_views.token_revoke, name="token_revoke"),
]
