"""Mounted at /api/v1/reports/."""
from django.urls import path

from .apis import ThemesReportApi

urlpatterns = [
    path("themes/", ThemesReportApi.as_view(), name="api-reports-themes"),
]
