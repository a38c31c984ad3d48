"""The PSW's and QA&P chair's pages and the systemic issues register.

Mounted under /escalations/ beside the escalation pages, so that their addresses stay as they were.
"""
from django.urls import path

from . import views

app_name = "oversight"
urlpatterns = [
    path("psw-overview/", views.psw_overview, name="psw_overview"),
    path("psw-overview/raise/", views.psw_raise, name="psw_raise"),
    path("figures/", views.figures_page, name="figures"),
    path("board-logged/", views.board_logged, name="board_logged"),
    path("systemic-issues/", views.systemic_list, name="systemic_list"),
    path("systemic-issues/new/", views.systemic_create, name="systemic_create"),
    path("systemic-issues/<int:pk>/", views.systemic_detail, name="systemic_detail"),
]
