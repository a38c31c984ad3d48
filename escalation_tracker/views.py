from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from escalations.models import LIVE_STATES, Escalation
from organisations.models import Role


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each person to the page where their work is, or, with nothing to do, where there is most to see.

    The partnership's people to their pages (the QA&P chair to her worklist, a board member to the
    report), a PSW to the overview, an administrator to the administration pages, platform staff to
    the Django admin; then staff to
    what awaits their response, to the disputes about their own cases, to what they raised, and to
    their team's.
    """
    user = request.user
    if user.is_platform_staff:
        return redirect("admin:index")  # platform staff are not parties (CONTRACT 8.6): their work is the admin
    if user.is_administrator:
        return redirect("administration:home")
    if user.role == Role.BOARD_MEMBER:
        return redirect("reports:themes")
    if user.role == Role.QAP_CHAIR:
        return redirect("oversight:board_logged")
    if user.role == Role.PSW:
        return redirect("oversight:psw_overview")
    if user.escalations_held.filter(state__in=LIVE_STATES).exists():
        return redirect("escalations:awaiting")
    if Escalation.objects.visible_to(user).live().filter(case__allocated_worker=user).exists():
        return redirect("escalations:on_my_cases")
    if user.escalations_raised.exists():
        return redirect("escalations:mine")
    below = user.reports_below()
    if below and Escalation.objects.live().filter(Q(raised_by_id__in=below) | Q(holder_id__in=below)).exists():
        return redirect("escalations:team")
    return redirect("escalations:mine")
