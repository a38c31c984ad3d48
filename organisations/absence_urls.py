"""The absence pages, under /absences/."""
from django.urls import path

from . import absence_views as views

app_name = "absences"
urlpatterns = [
    path("", views.absence_list, name="list"),
    path("new/", views.absence_create, name="create"),
    path("<int:pk>/change/", views.absence_edit, name="change"),
    path("<int:pk>/cancel/", views.absence_delete, name="cancel"),
]
