"""The REST API (CONTRACT section 7) under /api/: version 1, the OpenAPI schema and its pages."""
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from administration.apis import AuditApi, PeopleApi, PersonDeactivateApi, StaffImportApi
from audit.apis import AccessLogApi
from core.api import api_not_found
from escalations.apis import ACTION_APIS, EscalationDetailApi, EscalationListCreateApi
from escalations.case_apis import CaseListCreateApi
from escalations.export_views import CaseChronologyApi
from escalations.subject_access_views import SubjectAccessApi
from notifications.apis import NotificationListApi, NotificationReadApi
from organisations.absence_apis import AbsenceListCreateApi
from organisations.apis import MeApi, TokenApi
from policies.apis import LadderListApi

v1 = [
    path("auth/token/", TokenApi.as_view(), name="api-token"),
    path("me/", MeApi.as_view(), name="api-me"),
    path("ladders/", LadderListApi.as_view(), name="api-ladders"),
    path("cases/", CaseListCreateApi.as_view(), name="api-cases"),
    path("cases/subject-access/", SubjectAccessApi.as_view(), name="api-case-subject-access"),
    path("cases/chronology/", CaseChronologyApi.as_view(), name="api-case-chronology"),
    path("escalations/", EscalationListCreateApi.as_view(), name="api-escalations"),
    path("escalations/<int:id>/", EscalationDetailApi.as_view(), name="api-escalation"),
    *[
        path(f"escalations/<int:id>/{name}/", view.as_view(), name=f"api-escalation-{name}")
        for name, view in ACTION_APIS.items()
    ],
    path("notifications/", NotificationListApi.as_view(), name="api-notifications"),
    path("notifications/<int:id>/read/", NotificationReadApi.as_view(), name="api-notification-read"),
    path("absences/", AbsenceListCreateApi.as_view(), name="api-absences"),
    path("reports/", include("reports.api_urls")),
    path("administration/people/", PeopleApi.as_view(), name="api-administration-people"),
    path("administration/people/import/", StaffImportApi.as_view(), name="api-administration-import"),
    path("administration/people/<int:id>/deactivate/", PersonDeactivateApi.as_view(),
         name="api-administration-deactivate"),
    path("administration/audit/", AuditApi.as_view(), name="api-administration-audit"),
    path("access-log/", AccessLogApi.as_view(), name="api-access-log"),
    # Anything else under v1 (a mistyped path, an id that is not a number) is a JSON 404.
    re_path(r"^.*$", api_not_found),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Its start-up script is served from ?script, not inline, for the Content-Security-Policy.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    # Any other path under /api/ (another version, /api/ itself) is the same JSON 404.
    re_path(r"^.*$", api_not_found),
]
