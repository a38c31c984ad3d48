"""The raiser's and holder's pages (included by escalations/urls.py under /escalations/)."""
from django.urls import path

from . import views

urlpatterns = [
    path("mine/", views.mine, name="mine"),
    path("awaiting/", views.awaiting, name="awaiting"),
    path("awaiting/team/", views.team, name="team"),
    path("raise/", views.raise_start, name="raise"),
    path("raise/preview/", views.raise_preview, name="raise_preview"),
    path("raise/emergency/", views.raise_emergency, name="raise_emergency"),
    path("raise/details/", views.raise_details, name="raise_details"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/raised/", views.raised, name="raised"),
    path("<int:pk>/record/", views.record, name="record"),
    path("<int:pk>/arrange-meeting/", views.act, {"action": "arrange_meeting"}, name="arrange_meeting"),
    path("<int:pk>/respond/", views.act, {"action": "respond"}, name="respond"),
    path("<int:pk>/accept/", views.act, {"action": "accept"}, name="accept"),
    path("<int:pk>/escalate/", views.act, {"action": "escalate"}, name="escalate"),
    path("<int:pk>/skip/", views.act, {"action": "skip"}, name="skip"),
    path("<int:pk>/withdraw/", views.act, {"action": "withdraw"}, name="withdraw"),
    path("<int:pk>/reopen/", views.act, {"action": "reopen"}, name="reopen"),
    path("<int:pk>/reassign/", views.act, {"action": "reassign"}, name="reassign"),
    path("<int:pk>/start-mediation/", views.act, {"action": "start_mediation"}, name="start_mediation"),
    path("<int:pk>/end-mediation/", views.act, {"action": "end_mediation"}, name="end_mediation"),
    path("<int:pk>/log-with-board/", views.act, {"action": "log_with_board"}, name="log_with_board"),
    path("<int:pk>/note/", views.act, {"action": "add_note"}, name="add_note"),
    path("<int:pk>/attachments/", views.attachment_upload, name="attachment_upload"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
]
