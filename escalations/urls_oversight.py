"""The PSW's and QA&P chair's pages, systemic issues and attachments (mounted under /escalations/)."""
from django.urls import path

from . import views_oversight as views

urlpatterns = [
    path("psw-overview/", views.psw_overview, name="psw_overview"),
    path("psw-overview/raise/", views.psw_raise, name="psw_raise"),
    path("board-logged/", views.board_logged, name="board_logged"),
    path("systemic-issues/", views.systemic_list, name="systemic_list"),
    path("systemic-issues/new/", views.systemic_create, name="systemic_create"),
    path("systemic-issues/<int:pk>/", views.systemic_detail, name="systemic_detail"),
    path("<int:pk>/attachments/", views.attachment_upload, name="attachment_upload"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
]
