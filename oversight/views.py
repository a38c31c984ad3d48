"""The oversight pages: the PSW's overview and systemic issues, the QA&P chair's list.

Thin views: parse, ask ``rules`` / ``visible_to`` who may see what, call a selector or a service,
render. Someone who may not see a thing gets 404; someone who sees it but may not act gets 403.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from core.pagination import IdsFirstPaginator
from organisations.models import Role

from . import figures, rules, selectors, services
from .filters import BoardLoggedFilter, PswOverviewFilter, SystemicIssueFilter
from .forms import SystemicIssueCreateForm, SystemicIssueUpdateForm
from .models import SystemicIssue

PAGE_SIZE = 25  # rows a page: the same as the API's PAGE_SIZE


def _page(request: HttpRequest, items):
    return IdsFirstPaginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


# --- the PSW's overview ------------------------------------------------------------------------------
@login_required
@require_GET
def psw_overview(request: HttpRequest) -> HttpResponse:
    """Every live escalation of the PSW's organisation, filtered, counted and paged."""
    user = request.user
    if not user.has_perm("escalations.view_psw_overview") or not user.organisation_id:
        raise PermissionDenied("Only a principal social worker sees the overview.")
    now = timezone.now()
    filterset = PswOverviewFilter(request.GET or None, queryset=selectors.psw_overview_list(user=user),
                                  choices=selectors.psw_overview_choices(user=user), now=now)
    page = _page(request, filterset.qs)
    return render(request, "oversight/psw_overview.html", {
        "form": filterset.form,
        "filtered": filterset.filtered,
        "counts": selectors.psw_overview_counts(user=user, now=now),
        "page_obj": page,
        "rows": selectors.psw_overview_rows(escalations=page.object_list, now=now),
    })


@login_required
@require_GET
def psw_raise(request: HttpRequest) -> HttpResponse:
    """Bexley 4.3: the PSW raises an independent escalation through the ordinary raise journey."""
    if not request.user.has_perm("escalations.view_psw_overview"):
        raise PermissionDenied("Only a principal social worker raises an independent escalation here.")
    return redirect("escalations:raise")


# --- the organisation's figures (Stoke 8) --------------------------------------------------------------
@login_required
@require_GET
def figures_page(request: HttpRequest) -> HttpResponse:
    """How many escalations, at which stage, and the timescales reached: aggregates of the organisation."""
    user = request.user
    if not figures.figures_can_view(user):
        raise PermissionDenied("The escalation figures are for an organisation's managers, its principal social "
                               "worker and its administrator.")
    period = request.GET.get("period", figures.DEFAULT_PERIOD)
    if period not in figures.PERIODS:
        period = figures.DEFAULT_PERIOD
    return render(request, "oversight/figures.html", {
        "figures": figures.organisation_figures(user=user, period=period),
        "period": period,
        "periods": [("3", "The last 3 months"), ("12", "The last 12 months"), ("all", "Since the first escalation")],
    })


# --- the QA&P chair's list ---------------------------------------------------------------------------
@login_required
@require_GET
def board_logged(request: HttpRequest) -> HttpResponse:
    """Escalations of the chair's partnership that were logged with the board."""
    user = request.user
    if user.role != Role.QAP_CHAIR:
        raise PermissionDenied("Only the partnership's QA&P sub-group chair sees the board's log.")
    ladders, organisations = selectors.board_logged_choices(user=user)
    filterset = BoardLoggedFilter(request.GET or None, queryset=selectors.board_logged_list(user=user),
                                  ladders=ladders, organisations=organisations)
    page = _page(request, filterset.qs)
    return render(request, "oversight/board_logged.html", {
        "form": filterset.form, "filtered": filterset.filtered, "page_obj": page,
    })


# --- systemic issues ---------------------------------------------------------------------------------
def _require_register(user) -> None:
    if not rules.systemic_issue_can_view_register(user):
        raise PermissionDenied("Only staff of an organisation see its systemic issues.")


@login_required
@require_GET
def systemic_list(request: HttpRequest) -> HttpResponse:
    """The organisation's register of systemic issues (Bexley 4.4), filtered by status and kind."""
    _require_register(request.user)
    filterset = SystemicIssueFilter(request.GET or None, queryset=selectors.systemic_issue_list(user=request.user))
    page = _page(request, filterset.qs)
    return render(request, "oversight/systemic_list.html", {
        "form": filterset.form, "filtered": filterset.filtered, "page_obj": page,
        "can_manage": rules.systemic_issue_can_manage(request.user),
    })


@login_required
@require_http_methods(["GET", "POST"])
def systemic_create(request: HttpRequest) -> HttpResponse:
    """Record a systemic issue: the PSW only."""
    user = request.user
    if not rules.systemic_issue_can_manage(user):
        raise PermissionDenied("Only your organisation's principal social worker can record systemic issues.")
    owners = selectors.systemic_issue_owner_choices(organisation_id=user.organisation_id)
    form = SystemicIssueCreateForm(request.POST or None, owners=owners, initial={"owner": user.pk})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issue = services.systemic_issue_create(
                actor=user, kind=data["kind"], title=data["title"], description=data["description"],
                owner=data["owner"], escalation_ids=data["escalations"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, f"Systemic issue '{issue.title}' recorded.")
            return redirect("oversight:systemic_detail", pk=issue.pk)
    return render(request, "oversight/systemic_create.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def systemic_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Read a systemic issue; the PSW also changes its status, owner, resolution and links here."""
    user = request.user
    try:
        issue = selectors.systemic_issue_get(user=user, pk=pk)
    except SystemicIssue.DoesNotExist as exc:
        raise Http404("No such systemic issue.") from exc
    can_manage = rules.systemic_issue_can_manage(user, issue.organisation_id)
    if request.method == "POST" and not can_manage:
        raise PermissionDenied("Only your organisation's principal social worker can update systemic issues.")
    form = None
    if can_manage:
        owners = selectors.systemic_issue_owner_choices(organisation_id=issue.organisation_id)
        initial = {
            "status": issue.status, "owner": issue.owner_id, "resolution": issue.resolution,
            "escalations": sorted(issue.escalations.values_list("pk", flat=True)),
        }
        form = SystemicIssueUpdateForm(request.POST or None, owners=owners, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.systemic_issue_update(
                    issue=issue, actor=user, status=data["status"], owner=data["owner"],
                    resolution=data["resolution"], escalation_ids=data["escalations"],
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, "Systemic issue updated.")
                return redirect("oversight:systemic_detail", pk=issue.pk)
    linked, hidden = selectors.systemic_issue_escalations(issue=issue, user=user)
    return render(request, "oversight/systemic_detail.html", {
        "issue": issue, "form": form, "can_manage": can_manage, "linked": linked, "hidden_linked": hidden,
        "history": selectors.systemic_issue_history(issue=issue),
    })

