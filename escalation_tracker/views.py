from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from escalations.models import LIVE_STATES
from organisations.models import Role


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each person to the page where their work is."""
    user = request.user
    if user.is_platform_staff:
        return redirect("admin:index")  # platform staff are not parties (CONTRACT 8.6): their work is the admin
    if user.is_administrator:
        return redirect("administration:home")
    if user.role in (Role.BOARD_MEMBER, Role.QAP_CHAIR):
        return redirect("reports:themes")
    if user.role == Role.PSW:
        return redirect("oversight:psw_overview")
    if user.escalations_held.filter(state__in=LIVE_STATES).exists() or user.reports.exists():
        return redirect("escalations:awaiting")
    return redirect("escalations:mine")


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
