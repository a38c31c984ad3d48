"""The PSW's page of the access log: who looked at, downloaded, exported or was refused her organisation's
escalations, filtered and paged. Reading it is itself recorded."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .filters import AccessLogFilter
from .models import Action
from .selectors import access_log_for
from .services import access_record
from .subjects import Subject

PAGE_SIZE = 50


def access_log_read_record(*, request: HttpRequest, filterset: AccessLogFilter, via: str) -> None:
    """Reading the log is an access too: who read it, with which filters."""
    filters: dict[str, str] = {}
    if filterset.is_bound:
        filterset.form.is_valid()  # fills cleaned_data with the valid filters, those applied
        filters = {name: str(value) for name, value in filterset.form.cleaned_data.items() if value not in (None, "")}
    access_record(action=Action.ACCESS_LOG_READ, request=request,
                  obj=Subject(kind="access_log", organisation_id=request.user.organisation_id),
                  detail={"via": via, "filters": filters})


@login_required
@require_GET
def access_log(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("audit.read_access_log"):
        raise PermissionDenied("Only the organisation's principal social worker reads its access log.")
    filterset = AccessLogFilter(request.GET or None, queryset=access_log_for(user=request.user))
    page_obj = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    access_log_read_record(request=request, filterset=filterset, via="page")
    return render(request, "audit/access_log.html", {
        "form": filterset.form, "filtered": filterset.filtered, "page_obj": page_obj,
    })
