"""The administration pages: an organisation's (or partnership's) administrator runs it here.

Thin views: check who is asking, parse a form, call a service or a selector, render. Anyone who is not
the administrator gets 403; another organisation's person, team or ladder is not found (404).
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import text
from core.errors import ServiceError
from webhooks import selectors as webhook_selectors

from . import selectors, services
from .forms import (
    CategoryForm,
    ClosureDayForm,
    ImportForm,
    PersonForm,
    RetentionForm,
    SettingsForm,
    TeamForm,
    TierMappingForm,
    TimescalesForm,
)
from .rules import administers, administers_organisation, administers_partnership
from .staff_import import ImportFileError, staff_import_read

PAGE_SIZE = 50  # people or audit rows a page
IMPORT_SESSION_KEY = "administration_import"


def _only(check: Callable[[Any], bool], refusal: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not check(request.user):
                raise PermissionDenied(refusal)
            return view(request, *args, **kwargs)
        return wrapped
    return decorator


admin_only = _only(administers, "Only an organisation's or partnership's administrator can open this page.")
organisation_admin_only = _only(administers_organisation, "Only the organisation's administrator can open this page.")
partnership_admin_only = _only(administers_partnership, "Only the partnership's administrator can open this page.")


def _posted(request: HttpRequest, *, files: bool = False) -> Any:
    """The form's data on a POST (even an empty one, so that every field is checked), None on a GET."""
    if request.method != "POST":
        return (None, None) if files else None
    return (request.POST, request.FILES) if files else request.POST


def _form_page(request: HttpRequest, form: Any, *, title: str, button: str, back: str, back_label: str,
               intro: str = "", extra: dict | None = None) -> HttpResponse:
    return render(request, "administration/form_page.html", {
        "form": form, "title": title, "button": button, "back": back, "back_label": back_label, "intro": intro,
        **(extra or {}),
    })


def _try(form: Any, change: Callable[[], Any]) -> Any:
    """Run a service; put its refusal on the form (a field's error, or one above the form). None if refused."""
    try:
        return change()
    except ValidationError as error:
        form.add_service_errors(error)
    except ServiceError as error:
        form.add_error(None, error.message)
    return None


def _act(request: HttpRequest, change: Callable[[], Any], done: str) -> bool:
    """Run a service from a button; say what happened in a banner."""
    try:
        change()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return False
    except ServiceError as error:
        messages.error(request, error.message)
        return False
    messages.success(request, done)
    return True


# --- home ---------------------------------------------------------------------------------------------------
@admin_only
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(request, "administration/home.html", {
        "organisation_admin": administers_organisation(user),
        "people_count": selectors.people_list(actor=user).filter(is_active=True).count(),
        "ladders": selectors.ladder_list(actor=user),
        "recent": selectors.audit_list(actor=user)[:5],
        # The organisation's webhook endpoints marked failing: the administrator is told here too.
        "webhooks_failing": (list(webhook_selectors.endpoints_failing(organisation_id=user.organisation_id))
                             if administers_organisation(user) else []),
    })


# --- people ---------------------------------------------------------------------------------------------------
@admin_only
@require_GET
def people(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.people_list(actor=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "administration/people.html", {
        "page_obj": page, "organisation_admin": administers_organisation(request.user),
    })


@admin_only
@require_http_methods(["GET", "POST"])
def person_invite(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = PersonForm(_posted(request), actor=user)
    if request.method == "POST" and form.is_valid():
        person = _try(form, lambda: services.staff_invite(actor=user, **form.service_kwargs()))
        if person is not None:
            messages.success(request, f"{person.display_name} is invited: an e-mail to set a password is on its way.")
            return redirect("administration:people")
    return _form_page(request, form, title="Invite a person", button="Invite", back=reverse("administration:people"),
                      back_label="Back to people",
                      intro="They receive an e-mail with a link to choose their password.")


@admin_only
@require_http_methods(["GET", "POST"])
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    person = selectors.person_get(actor=user, pk=pk)
    form = None
    if administers_organisation(user):
        initial = {"name": person.get_full_name(), "role": person.role, "team": person.team_id,
                   "line_manager": person.line_manager_id}
        form = PersonForm(_posted(request), actor=user, person=person, initial=initial)
        if request.method == "POST" and form.is_valid():
            changed = _try(form, lambda: services.staff_update(actor=user, person=person, **form.service_kwargs()))
            if changed is not None:
                messages.success(request, f"{changed.display_name}'s details are saved.")
                return redirect("administration:people")
    return render(request, "administration/person.html", {
        "person": person, "form": form, "held": sorted(services.live_stages_held_by(person).items()),
    })


@admin_only
@require_http_methods(["GET", "POST"])
def person_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    person = selectors.person_get(actor=user, pk=pk)
    if request.method == "POST":
        if _act(request, lambda: services.staff_deactivate(actor=user, person=person),
                f"{person.display_name} is deactivated: they are signed out and their API tokens no longer work."):
            return redirect("administration:people")
        return redirect("administration:person_deactivate", pk=person.pk)
    return render(request, "administration/person_deactivate.html", {
        "person": person, "held": sorted(services.live_stages_held_by(person).items()),
    })


@admin_only
@require_POST
def person_reinvite(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    person = selectors.person_get(actor=user, pk=pk)
    _act(request, lambda: services.staff_invitation_resend(actor=user, person=person),
         f"The invitation is on its way to {person.email} again.")
    return redirect("administration:person", pk=person.pk)


@partnership_admin_only
@require_POST
def qap_chair(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    person = selectors.person_get(actor=user, pk=pk)
    _act(request, lambda: services.qap_chair_set(actor=user, person=person),
         f"{person.display_name} is now the partnership's QA&P chair.")
    return redirect("administration:people")


# --- import from HR --------------------------------------------------------------------------------------
@organisation_admin_only
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    form = ImportForm(*_posted(request, files=True))
    if request.method == "POST" and form.is_valid():
        content = form.cleaned_data["file"].read()
        try:
            records = staff_import_read(content=content)
        except ImportFileError as error:
            form.add_error("file", error.messages)
        else:
            request.session[IMPORT_SESSION_KEY] = {"records": records, "name": form.cleaned_data["file"].name}
            return redirect("administration:import_preview")
    return render(request, "administration/import_upload.html", {"form": form})


@organisation_admin_only
@require_http_methods(["GET", "POST"])
def import_preview(request: HttpRequest) -> HttpResponse:
    user = request.user
    stored = request.session.get(IMPORT_SESSION_KEY)
    if not stored:
        messages.info(request, "Upload the CSV file first.")
        return redirect("administration:import")
    records = stored["records"]
    if request.method == "POST":
        try:
            plan = services.staff_import_apply(actor=user, records=records)
        except ValidationError:
            messages.error(request, "Nothing was imported: the file has errors. Correct them and upload it again.")
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            del request.session[IMPORT_SESSION_KEY]
            if plan.has_changes:
                messages.success(request, f"Imported: {len(plan.new)} new, {len(plan.changed)} changed, "
                                          f"{len(plan.unchanged)} unchanged.")
            else:
                messages.success(request, "Nothing to change: everyone in the file is already as it says.")
            return redirect("administration:people")
    plan = services.staff_import_preview(actor=user, records=records)
    return render(request, "administration/import_preview.html", {"plan": plan, "file_name": stored["name"]})


# --- teams -----------------------------------------------------------------------------------------------
@organisation_admin_only
@require_http_methods(["GET", "POST"])
def teams(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = TeamForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        team = _try(form, lambda: services.team_create(actor=user, name=form.cleaned_data["name"]))
        if team is not None:
            messages.success(request, f"Team “{team.name}” is added.")
            return redirect("administration:teams")
    return render(request, "administration/teams.html", {"form": form, "teams": selectors.team_list(actor=user)})


@organisation_admin_only
@require_http_methods(["GET", "POST"])
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    team = selectors.team_get(actor=user, pk=pk)
    form = TeamForm(_posted(request), initial={"name": team.name})
    if request.method == "POST" and form.is_valid():
        renamed = _try(form, lambda: services.team_rename(actor=user, team=team, name=form.cleaned_data["name"]))
        if renamed is not None:
            messages.success(request, f"The team is now called “{renamed.name}”.")
            return redirect("administration:teams")
    return _form_page(request, form, title=f"Rename {team.name}", button="Save", back=reverse("administration:teams"),
                      back_label="Back to teams", extra={"delete_url": reverse("administration:team_delete",
                                                                                args=[team.pk]),
                                                          "delete_label": "Delete this team"})


@organisation_admin_only
@require_POST
def team_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    team = selectors.team_get(actor=user, pk=pk)
    name = team.name
    _act(request, lambda: services.team_delete(actor=user, team=team), f"Team “{name}” is deleted.")
    return redirect("administration:teams")


# --- settings, calendar, tiers ---------------------------------------------------------------------------
@organisation_admin_only
@require_http_methods(["GET", "POST"])
def organisation_settings(request: HttpRequest) -> HttpResponse:
    user = request.user
    organisation = user.organisation
    form = SettingsForm(_posted(request), initial={
        "close_of_business": organisation.close_of_business, "emergency_contacts": organisation.emergency_contacts,
        "out_of_hours_contacts": organisation.out_of_hours_contacts,
        "require_two_factor": organisation.require_two_factor,
    })
    if request.method == "POST" and form.is_valid() and _try(
        form, lambda: services.organisation_settings_update(actor=user, **form.cleaned_data)
    ) is not None:
        messages.success(request, "The organisation's settings are saved.")
        return redirect("administration:home")
    return _form_page(request, form, title="Organisation settings", button="Save", back=reverse("administration:home"),
                      back_label="Back to administration")


@organisation_admin_only
@require_http_methods(["GET", "POST"])
def retention(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = RetentionForm(_posted(request), initial={"retention_days": user.organisation.retention_days})
    if request.method == "POST" and form.is_valid() and _try(
        form, lambda: services.organisation_retention_set(actor=user, **form.cleaned_data)
    ) is not None:
        messages.success(request, "The retention period is saved.")
        return redirect("administration:home")
    return _form_page(
        request, form, title="Retention period", button="Save", back=reverse("administration:home"),
        back_label="Back to administration",
        intro="How long a resolved or withdrawn escalation is kept in full. Each night, the escalations closed "
              "longer ago than this are anonymised: what people wrote, their notes and debriefs, the attachments "
              "and the case's reference and name are erased; the timeline of who did what, and when, is kept. "
              "The longest period of the organisations involved applies. This cannot be undone.",
    )


@organisation_admin_only
@require_http_methods(["GET", "POST"])
def closure_days(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = ClosureDayForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        day = _try(form, lambda: services.closure_day_add(actor=user, **form.cleaned_data))
        if day is not None:
            messages.success(request, f"{text.day_words(day.date)} is a closure day: no deadline falls on it.")
            return redirect("administration:closure_days")
    return render(request, "administration/closure_days.html", {
        "form": form, "days": selectors.closure_day_list(actor=user),
    })


@organisation_admin_only
@require_POST
def closure_day_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    day = selectors.closure_day_get(actor=user, pk=pk)
    words = f"{text.day_words(day.date)} is a working day again."
    _act(request, lambda: services.closure_day_remove(actor=user, day=day), words)
    return redirect("administration:closure_days")


@organisation_admin_only
@require_http_methods(["GET", "POST"])
def tiers(request: HttpRequest) -> HttpResponse:
    user = request.user
    current = dict(user.organisation.tier_mappings.values_list("role", "tier"))
    form = TierMappingForm(_posted(request), initial=current)
    if request.method == "POST" and form.is_valid() and _try(
        form, lambda: services.tier_mapping_set(actor=user, mapping=form.cleaned_data)
    ) is not None:
        messages.success(request, "The roles' tiers are saved.")
        return redirect("administration:tiers")
    return _form_page(request, form, title="Roles and tiers", button="Save", back=reverse("administration:home"),
                      back_label="Back to administration",
                      intro="On a multi-agency ladder each stage is held by a tier: practitioner, manager, senior "
                            "manager, senior leader. Say which tier each of your roles holds.")


# --- ladders ---------------------------------------------------------------------------------------------
@admin_only
@require_GET
def ladders(request: HttpRequest) -> HttpResponse:
    return render(request, "administration/ladders.html", {"ladders": selectors.ladder_list(actor=request.user)})


@admin_only
@require_http_methods(["GET", "POST"])
def ladder_detail(request: HttpRequest, slug: str) -> HttpResponse:
    user = request.user
    ladder = selectors.ladder_get(actor=user, slug=slug)
    form = TimescalesForm(_posted(request), ladder=ladder)
    if request.method == "POST" and form.is_valid():
        saved = _try(form, lambda: services.ladder_timescales_set(actor=user, ladder=ladder,
                                                                  working_days=form.working_days()))
        if saved is not None:
            if saved.version != ladder.version:
                messages.success(request, f"Saved as version {saved.version}. Escalations raised before keep "
                                          f"version {ladder.version} and its timescales.")
            return redirect("administration:ladder", slug=ladder.slug)
    return render(request, "administration/ladder.html", {
        "ladder": ladder, "form": form, "category_form": CategoryForm(),
    })


@admin_only
@require_POST
def category_add(request: HttpRequest, slug: str) -> HttpResponse:
    user = request.user
    ladder = selectors.ladder_get(actor=user, slug=slug)
    form = CategoryForm(request.POST)
    if form.is_valid():
        label = form.cleaned_data["label"]
        category = _try(form, lambda: services.category_add(actor=user, ladder=ladder, label=label))
        if category is not None:
            messages.success(request, f"Category “{category.label}” is added to {ladder.name}.")
            return redirect("administration:ladder", slug=ladder.slug)
    return render(request, "administration/ladder.html", {
        "ladder": ladder, "form": TimescalesForm(ladder=ladder), "category_form": form,
    })


@admin_only
@require_POST
def category_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    user = request.user
    ladder = selectors.ladder_get(actor=user, slug=slug)
    category = selectors.category_get(ladder=ladder, pk=pk)
    label = category.label
    _act(request, lambda: services.category_remove(actor=user, category=category), f"Category “{label}” is removed.")
    return redirect("administration:ladder", slug=ladder.slug)


# --- audit log -------------------------------------------------------------------------------------------
@admin_only
@require_GET
def audit(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.audit_list(actor=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "administration/audit.html", {"page_obj": page})


# --- the invited person chooses a password ---------------------------------------------------------------
class PasswordSetView(auth_views.PasswordResetConfirmView):
    """The link in the invitation: Django's password reset token, checked once."""

    template_name = "administration/password_set.html"
    success_url = reverse_lazy("login")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, "Your password is set. Sign in with your username and the new password.")
        return response
