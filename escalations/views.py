"""The raiser's and holder's pages: raise, my escalations, awaiting my response, the escalation page
and its actions, and the written record. Thin: parse, call a selector or a service, render.

The actions' forms, titles, buttons and banners come from their specs (``escalations.actions``).
"""
from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.services import Action, access_record
from core.pagination import IdsFirstPaginator
from notifications.services import notifications_mark_read_for_escalation
from policies.models import RiskLevel

from . import forms, selectors, services, words
from .actions import ACTIONS, logged_as, shortcuts
from .cases import reads_cases
from .events import ACTION_LABELS
from .filters import EscalationListFilter
from .models import Escalation
from .services import case_get_or_create

PAGE_SIZE = 25


# --- lists -------------------------------------------------------------------------------------------
def _list_page(request: HttpRequest, *, base, default_state: str, shortcuts_of: str = "") -> dict:
    """Filter and paginate a list of escalations, each row with the shortcuts of the list ``shortcuts_of``
    that the person may take now; the query count stays flat in the number of rows."""
    filterset = EscalationListFilter(request.GET or None, queryset=base, ladders=selectors.ladders_in(base),
                                     default_state=default_state)
    page_obj = IdsFirstPaginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    among = shortcuts(shortcuts_of) if shortcuts_of else ()
    return {
        "rows": [
            (esc, selectors.escalation_actions_available(user=request.user, escalation=esc, among=among)
             if among else [])
            for esc in page_obj.object_list
        ],
        "filter_form": filterset.form,
        "page_obj": page_obj,
        "escalations": page_obj.object_list,
        "filtered": any(v for k, v in request.GET.items() if k != "page"),
    }


def _refuse_administrators(request: HttpRequest) -> None:
    """An administrator runs the organisation and never sees its escalations (CONTRACT 8.6)."""
    if request.user.is_administrator:
        raise PermissionDenied("Administrators manage the organisation; they do not take part in escalations.")


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """Every escalation I raised, with what I can do next."""
    _refuse_administrators(request)
    user = request.user
    context = _list_page(request, base=selectors.escalation_list_raised(user=user), default_state="all",
                         shortcuts_of="mine")
    return render(request, "escalations/mine.html", context)


@login_required
@require_GET
def awaiting(request: HttpRequest) -> HttpResponse:
    """Escalations I hold, those awaiting my response first and the most urgent at the top."""
    _refuse_administrators(request)
    user = request.user
    context = _list_page(request, base=selectors.escalation_list_held(user=user), default_state="live",
                         shortcuts_of="awaiting")
    covering = selectors.covering_for(user=user, escalations=[esc for esc, _ in context["rows"]])
    for esc, _ in context["rows"]:
        esc.covering_for = covering.escalations.get(esc.pk)
    context["covering"] = covering.absences
    context["tab"] = "held"
    context["has_cases"] = user.allocated_cases.exists()
    return render(request, "escalations/awaiting.html", context)


@login_required
@require_GET
def team(request: HttpRequest) -> HttpResponse:
    """My team's escalations: raised or held by anyone below me in the line-management chain."""
    _refuse_administrators(request)
    user = request.user
    below = user.reports_below()
    context = _list_page(request, base=selectors.escalation_list_team(user=user, below=below), default_state="live")
    context["tab"] = "team"
    context["has_team"] = bool(below)
    context["has_cases"] = user.allocated_cases.exists()
    return render(request, "escalations/awaiting.html", context)


@login_required
@require_GET
def on_my_cases(request: HttpRequest) -> HttpResponse:
    """Escalations about the cases allocated to me (Stoke 4: the social worker is a party to the dispute)."""
    _refuse_administrators(request)
    user = request.user
    context = _list_page(request, base=selectors.escalation_list_on_my_cases(user=user), default_state="live",
                         shortcuts_of="awaiting")
    context["tab"] = "cases"
    context["has_cases"] = True
    return render(request, "escalations/awaiting.html", context)


# --- raising -----------------------------------------------------------------------------------------
def _require_raiser(request: HttpRequest) -> None:
    if not request.user.has_perm("escalations.raise_escalation"):
        raise PermissionDenied("Only staff of an organisation can raise an escalation.")


def _start_choice(request: HttpRequest):
    """The ladder and risk level chosen at step 1, from the query string; None if missing or not allowed."""
    form = forms.RaiseStartForm(request.GET, user=request.user)
    return (form.cleaned_data["ladder"], form.cleaned_data["risk_level"]) if form.is_valid() else None


def _step_query(ladder, risk_level: str, **extra: str) -> str:
    return "?" + urlencode({"ladder": ladder.slug, "risk_level": risk_level, **extra})


@login_required
@require_http_methods(["GET", "POST"])
def raise_start(request: HttpRequest) -> HttpResponse:
    """Step 1: the procedure and the risk level."""
    _require_raiser(request)
    user = request.user
    if request.method == "POST":
        form = forms.RaiseStartForm(request.POST, user=user)
        if form.is_valid():
            ladder, risk_level = form.cleaned_data["ladder"], form.cleaned_data["risk_level"]
            where = selectors.raise_preview(user=user, ladder=ladder, risk_level=risk_level)
            if where is not None and where.refused:
                form.add_error("ladder", where.refused)  # CONTRACT 8.1: no stage is left above the raiser
            else:
                urgent = risk_level == RiskLevel.IMMINENT
                step = "escalations:raise_emergency" if urgent else "escalations:raise_details"
                return redirect(reverse(step) + _step_query(ladder, risk_level))
    else:
        form = forms.RaiseStartForm(initial={k: request.GET[k] for k in ("ladder", "risk_level") if k in request.GET},
                                    user=user)
    preview = None
    choice = (form.data or form.initial)
    ladder = form.fields["ladder"].queryset.filter(slug=choice.get("ladder")).first() if choice.get("ladder") else None
    if ladder is not None and choice.get("risk_level"):
        preview = selectors.raise_preview(user=user, ladder=ladder, risk_level=choice["risk_level"])
    return render(request, "escalations/raise_start.html", {
        "form": form, "no_ladders": not form.fields["ladder"].queryset.exists(),
        **_preview_context(user=user, ladder=ladder, risk_level=choice.get("risk_level", ""), preview=preview),
    }, status=400 if form.is_bound else 200)


def _preview_context(*, user, ladder, risk_level: str, preview) -> dict:
    """The preview of where it would go, with the words it needs: when a same-day deadline really falls,
    and whether the person who would hold it is the raiser's own manager."""
    if preview is None or ladder is None or preview.stage is None:  # no stage: the raise is refused (8.1)
        return {"preview": preview}
    same_day = None
    if not preview.in_receiving_organisation and user.organisation is not None:
        days = words.entry_working_days(ladder=ladder, risk_level=risk_level, stage=preview.stage)
        same_day = words.same_day_note(start=timezone.now(), working_days=days, organisation=user.organisation)
    return {"preview": preview, "same_day_note": same_day,
            "own_manager": words.is_own_manager(raiser=user, holder=preview.holder)}


@login_required
@require_GET
def raise_preview(request: HttpRequest) -> HttpResponse:
    """The htmx partial of step 1: where the escalation would go with the choices made so far."""
    _require_raiser(request)
    ladder = selectors.ladders_for_raising(user=request.user).filter(slug=request.GET.get("ladder", "")).first()
    preview = None
    risk_level = request.GET.get("risk_level", "")
    if ladder is not None:
        preview = selectors.raise_preview(user=request.user, ladder=ladder, risk_level=risk_level)
    return render(request, "escalations/_raise_preview.html",
                  _preview_context(user=request.user, ladder=ladder, risk_level=risk_level, preview=preview))


@login_required
@require_GET
def raise_emergency(request: HttpRequest) -> HttpResponse:
    """Imminent risk: the emergency contacts and the procedure's instruction, before anything else."""
    _require_raiser(request)
    choice = _start_choice(request)
    if choice is None:
        return redirect("escalations:raise")
    ladder, risk_level = choice
    return render(request, "escalations/raise_emergency.html", {
        "ladder": ladder, "organisation": request.user.organisation,
        "out_of_hours_now": words.why_not_today(start=timezone.now(), organisation=request.user.organisation)
        is not None,
        "continue_url": reverse("escalations:raise_details") + _step_query(ladder, risk_level, acknowledged="1"),
    })


@login_required
@require_http_methods(["GET", "POST"])
def raise_details(request: HttpRequest) -> HttpResponse:
    """Step 2: the case and the disagreement; raising it through the service."""
    _require_raiser(request)
    user = request.user
    choice = _start_choice(request)
    if choice is None:
        return redirect("escalations:raise")
    ladder, risk_level = choice
    if risk_level == RiskLevel.IMMINENT and request.GET.get("acknowledged") != "1":
        return redirect(reverse("escalations:raise_emergency") + _step_query(ladder, risk_level))
    form = forms.RaiseDetailsForm(request.POST or None, user=user, ladder=ladder, risk_level=risk_level)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():  # a refused raise leaves no new case behind
                case = data["case"] or case_get_or_create(
                    organisation=user.organisation, reference=data["new_reference"],
                    display_name=data["new_display_name"], created_by=user,
                    allocated_worker=data.get("new_allocated_worker"),
                )[0]
                escalation = services.escalation_raise(
                    raised_by=user, case=case, ladder=ladder, risk_level=risk_level, category=data["category"],
                    decision_challenged=data["decision_challenged"], concern=data["concern"], basis=data["basis"],
                    desired_outcome=data["desired_outcome"],
                    receiving_organisation=data.get("receiving_organisation"), holder=data.get("holder"),
                )
        except ValidationError as error:
            aliases = {"reference": "new_reference", "display_name": "new_display_name",
                       "allocated_worker": "new_allocated_worker"}
            for key, errors in error.message_dict.items():
                field = aliases.get(key, key)
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        except services.ActionNotPermitted as error:
            raise PermissionDenied(error.message) from error
        else:
            return redirect("escalations:raised", pk=escalation.pk)
    preview = selectors.raise_preview(user=user, ladder=ladder, risk_level=risk_level)
    return render(request, "escalations/raise_details.html", {
        "form": form, "ladder": ladder, "risk_level": risk_level,
        "own_manager": preview is not None and words.is_own_manager(raiser=user, holder=preview.holder),
        "risk_label": RiskLevel(risk_level).label,
        "change_url": reverse("escalations:raise") + _step_query(ladder, risk_level),
    }, status=400 if form.is_bound else 200)


@login_required
@require_GET
def raised(request: HttpRequest, pk: int) -> HttpResponse:
    """The confirmation: who now holds it, and by when."""
    escalation = selectors.escalation_get(user=request.user, pk=pk)
    if escalation.raised_by_id != request.user.pk:
        return redirect("escalations:detail", pk=pk)
    same_day = words.raise_same_day_note(escalation)
    return render(request, "escalations/raised.html", {
        "escalation": escalation,
        "next_step": words.after_raise(escalation),
        "same_day_note": same_day,
        # Out of hours the holding organisation's out-of-hours contacts matter now, not tomorrow.
        "out_of_hours_organisation": escalation.deadline_organisation if same_day else None,
        "own_manager": words.is_own_manager(raiser=request.user, holder=escalation.holder),
    })


# --- the escalation page and its actions ---------------------------------------------------------------
def _labelled(timeline: list) -> list[tuple]:
    """Each timeline entry with its words: an action's from its spec, the raise's and the clock's from events."""
    return [(entry, logged_as(entry.action) or ACTION_LABELS.get(entry.action, entry.action)) for entry in timeline]


def _detail_context(request: HttpRequest, escalation: Escalation, *, bound: forms.ActionForm | None = None,
                    bound_action: str = "", refusal: str = "") -> dict:
    user = request.user
    timeline = selectors.escalation_timeline(escalation=escalation)
    visits = selectors.stage_history(escalation=escalation, timeline=timeline)
    available = {spec.name for spec in selectors.escalation_actions_available(user=user, escalation=escalation)}
    wanted = request.GET.get("open", "")
    action_forms = []
    for name, spec in ACTIONS.items():
        if name == bound_action and bound is not None:
            action_forms.append((spec, bound, True))
        elif name in available:
            action_forms.append((spec, forms.action_form(name)(
                prefix=name, escalation=escalation, user=user, initial={"version": escalation.version}),
                name == wanted))
    may_proceed = words.may_escalate_now(escalation, may_escalate="escalate" in available, now=timezone.now())
    return {
        "escalation": escalation,
        "may_escalate_now": may_proceed,
        "own_manager": (escalation.is_live and escalation.raised_by_id == user.pk
                        and words.is_own_manager(raiser=user, holder=escalation.holder)),
        "ladder_rows": [
            {"stage": stage, "visits": visits.get(stage.index, []), "current": stage.index == escalation.stage_index,
             "reached": stage.index in visits}
            for stage in escalation.ladder.stage_list()
        ],
        "timeline": _labelled(timeline),
        "action_forms": action_forms,
        "bound_form": bound,
        "bound_action": bound_action,
        "refusal": refusal,
        "show_case_name": escalation.case.name_readable_by(user),
        "can_attach": user.has_perm("escalations.attach", escalation),
        "reads_cases": reads_cases(user),  # the case's chronology is offered to those who may see the case
    }


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The whole record, and the forms of the actions this person may take now (only those)."""
    escalation = selectors.escalation_get(user=request.user, pk=pk)
    access_record(action=Action.ESCALATION_VIEWED, obj=escalation, request=request)
    # Opening the record reads what it says: its notifications stop counting as unread.
    notifications_mark_read_for_escalation(user=request.user, escalation=escalation)
    return render(request, "escalations/detail.html", _detail_context(request, escalation))


@login_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Take one action through its service: success redirects back with a banner; a refusal explains
    itself (400 bad input, 403 not allowed, 409 not now) and changes nothing."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404("No such action")
    escalation = selectors.escalation_get(user=request.user, pk=pk)
    form = forms.action_form(action)(request.POST, prefix=action, escalation=escalation, user=request.user)

    def refuse(message: str, status: int) -> HttpResponse:
        escalation.refresh_from_db()
        context = _detail_context(request, escalation, refusal=message)
        return render(request, "escalations/detail.html", context, status=status)

    if not request.user.has_perm(spec.permission, escalation):
        return refuse("You are not allowed to do this on this escalation.", 403)
    if not form.is_valid():
        return render(request, "escalations/detail.html",
                      _detail_context(request, escalation, bound=form, bound_action=action), status=400)
    try:
        spec.service_function()(escalation=escalation, actor=request.user, **form.service_kwargs())
    except ValidationError as error:
        form.add_service_errors(error)
        return render(request, "escalations/detail.html",
                      _detail_context(request, escalation, bound=form, bound_action=action), status=400)
    except services.ActionNotPermitted as error:
        return refuse(error.message, 403)
    except services.ActionConflict as error:
        return refuse(error.message, 409)
    messages.success(request, spec.done)
    return redirect("escalations:detail", pk=pk)


def record_context(request: HttpRequest, escalation: Escalation) -> dict:
    """What the written record shows (its page and its PDF alike): the child's name only to those who may read it."""
    timeline = selectors.escalation_timeline(escalation=escalation)
    return {
        "escalation": escalation,
        "timeline": _labelled(timeline),
        "parties": selectors.escalation_parties(escalation=escalation),
        "show_case_name": escalation.case.name_readable_by(request.user),
    }


@login_required
@require_GET
def record(request: HttpRequest, pk: int) -> HttpResponse:
    """The written record between the parties: printable, for whoever can see the escalation."""
    escalation = selectors.escalation_get(user=request.user, pk=pk)
    access_record(action=Action.RECORD_VIEWED, obj=escalation, request=request)
    return render(request, "escalations/record.html", record_context(request, escalation))


# --- attachments -------------------------------------------------------------------------------------
from django.http import FileResponse  # noqa: E402
from django.shortcuts import get_object_or_404  # noqa: E402

from .attachment_forms import AttachmentForm  # noqa: E402
from .attachments import attachment_create, attachment_open  # noqa: E402
from .models import Attachment  # noqa: E402


@login_required
@require_http_methods(["GET", "POST"])
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Attach a file to an escalation; errors come back on this page, success on the escalation page."""
    escalation = get_object_or_404(Escalation.objects.visible_to(request.user).with_related(), pk=pk)
    if not request.user.has_perm("escalations.attach", escalation):
        raise PermissionDenied("You are not allowed to add attachments to this escalation.")
    form = AttachmentForm(request.POST or None, request.FILES or None)
    escalation_url = reverse("escalations:detail", args=[escalation.pk])
    if request.method == "POST" and form.is_valid():
        try:
            attachment = attachment_create(
                escalation=escalation, actor=request.user, upload=form.cleaned_data["file"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        except services.ActionNotPermitted as exc:
            raise PermissionDenied(exc.message) from exc
        else:
            messages.success(request, f"{attachment.original_name} attached.")
            return redirect(escalation_url)
    return render(request, "escalations/attachment_upload.html", {
        "escalation": escalation, "form": form, "escalation_url": escalation_url,
    })


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Serve an attachment to someone who may see its escalation, as a download, never rendered inline."""
    attachment = get_object_or_404(
        Attachment.objects.select_related("escalation__ladder"), pk=pk,
    )
    if not request.user.has_perm("escalations.view_escalation", attachment.escalation):
        raise Http404("No such attachment.")
    try:
        handle = attachment_open(attachment=attachment)
    except FileNotFoundError as exc:
        raise Http404("This attachment's file is no longer available.") from exc
    access_record(action=Action.ATTACHMENT_DOWNLOADED, obj=attachment, request=request)
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Documents about a child: no shared or browser cache keeps a copy.
    response["Cache-Control"] = "private, no-store"
    return response
