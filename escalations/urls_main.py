"""The raiser's and holder's pages (included by escalations/urls.py under /escalations/).

Each action has one URL, from its spec: POST /escalations/<pk>/<page_path>/, named ``escalations:<name>``.
"""
from django.urls import path

from . import export_views, subject_access_views, views
from .actions import ACTIONS

urlpatterns = [
    path("mine/", views.mine, name="mine"),
    path("awaiting/", views.awaiting, name="awaiting"),
    path("awaiting/team/", views.team, name="team"),
    path("awaiting/my-cases/", views.on_my_cases, name="on_my_cases"),
    path("raise/", views.raise_start, name="raise"),
    path("raise/preview/", views.raise_preview, name="raise_preview"),
    path("raise/emergency/", views.raise_emergency, name="raise_emergency"),
    path("raise/details/", views.raise_details, name="raise_details"),
    path("subject-access/", subject_access_views.subject_access, name="subject_access"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/raised/", views.raised, name="raised"),
    path("<int:pk>/record/", views.record, name="record"),
    path("<int:pk>/record.pdf", export_views.record_pdf_download, name="record_pdf"),
    path("<int:pk>/chronology.json", export_views.chronology_download, name="chronology"),
    *[path(f"<int:pk>/{spec.page_path}/", views.act, {"action": spec.name}, name=spec.name)
      for spec in ACTIONS.values()],
    path("<int:pk>/attachments/", views.attachment_upload, name="attachment_upload"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
]
