from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.themes, name="themes"),
    path("print/", views.themes_print, name="themes_print"),
    path("csv/", views.themes_csv, name="themes_csv"),
]
