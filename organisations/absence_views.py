"""The absence pages: the list, record one (for yourself or someone you manage), change or cancel one
that has not begun. Thin: the form parses, ``organisations.absences`` decides."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from core import text
from core.errors import ActionConflict, ActionNotPermitted

from .absence_forms import AbsenceForm
from .absences import (
    absence_cancel,
    absence_change,
    absence_get,
    absence_list_for,
    absence_may_record,
    absence_may_record_any,
    absence_record,
)
from .models import Absence


def _staff_only(request: HttpRequest) -> None:
    user = request.user
    if not absence_may_record_any(actor=user):
        raise PermissionDenied("Only an organisation's staff and its administrator record absences.")


def _find(request: HttpRequest, pk: int) -> Absence:
    try:
        return absence_get(user=request.user, pk=pk)
    except Absence.DoesNotExist as exc:
        raise Http404("No such absence.") from exc


def _dates(absence: Absence) -> str:
    if absence.starts_on == absence.ends_on:
        return text.day_words(absence.starts_on)
    return f"{text.day_words(absence.starts_on)} to {text.day_words(absence.ends_on)}"


@login_required
@require_GET
def absence_list(request: HttpRequest) -> HttpResponse:
    """Absences I may see: mine, those of the people I manage, and those I cover."""
    _staff_only(request)
    today = timezone.localdate()
    rows = []
    for absence in absence_list_for(user=request.user)[:200]:
        if absence.ends_on < today:
            status = "Ended"
        elif absence.starts_on <= today:
            status = "Under way"
        else:
            status = "Not begun"
        may_change = status == "Not begun" and absence_may_record(actor=request.user, person=absence.person)
        rows.append({"absence": absence, "status": status, "may_change": may_change, "dates": _dates(absence)})
    return render(request, "organisations/absence_list.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def absence_create(request: HttpRequest) -> HttpResponse:
    """Record an absence, with an optional cover."""
    _staff_only(request)
    form = AbsenceForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            absence = absence_record(actor=request.user, person=data["person"], starts_on=data["starts_on"],
                                     ends_on=data["ends_on"], cover=data["cover"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        except ActionNotPermitted as exc:
            raise PermissionDenied(exc.message) from exc
        else:
            who = "Your" if absence.person == request.user else f"{absence.person.display_name}'s"
            messages.success(request, f"{who} absence is recorded: {_dates(absence)}.")
            return redirect("absences:list")
    return render(request, "organisations/absence_form.html", {
        "form": form, "title": "Record an absence", "button": "Record the absence",
    }, status=400 if form.is_bound else 200)


def _not_begun(request: HttpRequest, absence: Absence) -> None:
    if not absence_may_record(actor=request.user, person=absence.person):
        raise PermissionDenied("You can change your own absences and those of the people you manage.")
    if absence.starts_on <= timezone.localdate():
        messages.error(request, "This absence has begun, so it can no longer be changed.")
        raise _Begun


class _Begun(Exception):
    pass


@login_required
@require_http_methods(["GET", "POST"])
def absence_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change the dates (shorten it) or the cover of an absence that has not begun."""
    _staff_only(request)
    absence = _find(request, pk)
    try:
        _not_begun(request, absence)
    except _Begun:
        return redirect("absences:list")
    form = AbsenceForm(request.POST or None, actor=request.user, person=absence.person,
                       initial=AbsenceForm.initial_for(absence.starts_on, absence.ends_on, absence.cover))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            absence = absence_change(actor=request.user, absence=absence, starts_on=data["starts_on"],
                                     ends_on=data["ends_on"], cover=data["cover"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        except ActionNotPermitted as exc:
            raise PermissionDenied(exc.message) from exc
        except ActionConflict as exc:
            messages.error(request, exc.message)
            return redirect("absences:list")
        else:
            messages.success(request, f"The absence is changed: {_dates(absence)}.")
            return redirect("absences:list")
    return render(request, "organisations/absence_form.html", {
        "form": form, "absence": absence, "title": f"Change {absence.person.display_name}'s absence",
        "button": "Save the changes",
    }, status=400 if form.is_bound else 200)


@login_required
@require_http_methods(["GET", "POST"])
def absence_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel an absence that has not begun: a page that asks, then the cancellation."""
    _staff_only(request)
    absence = _find(request, pk)
    try:
        _not_begun(request, absence)
    except _Begun:
        return redirect("absences:list")
    if request.method == "POST":
        try:
            absence_cancel(actor=request.user, absence=absence)
        except ActionNotPermitted as exc:
            raise PermissionDenied(exc.message) from exc
        except ActionConflict as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"The absence of {absence.person.display_name} ({_dates(absence)}) is cancelled.")
        return redirect("absences:list")
    return render(request, "organisations/absence_cancel.html", {"absence": absence, "dates": _dates(absence)})
