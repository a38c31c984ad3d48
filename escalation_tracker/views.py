from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from escalations.models import LIVE_STATES
from organisations.models import Role


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each person to the page where their work is."""
    user = request.user
    if user.role in (Role.BOARD_MEMBER, Role.QAP_CHAIR):
        return redirect("reports:themes")
    if user.role == Role.PSW:
        return redirect("oversight:psw_overview")
    if user.escalations_held.filter(state__in=LIVE_STATES).exists() or user.reports.exists():
        return redirect("escalations:awaiting")
    return redirect("escalations:mine")
