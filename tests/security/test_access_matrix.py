"""The access matrix (issue 14, item 2; CONTRACT 8.6): every URL pattern the resolver knows, requested as every
principal of the seeded demo, for read (GET) and for its action (POST with a body of the right shape).

Every pattern has one row in ``EXPECTED`` saying who gets through and what everyone else is answered; a pattern
without a row fails ("new URL without an expectation"). Nobody gets a 2xx (or a success's redirect) that the
row does not give them, and an object a person may not see answers 404 exactly as a missing one does (status and
body byte for byte). Each request runs in a savepoint rolled back at once, so that every principal meets the
same demo.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.module_loading import import_string

from escalations import actions
from escalations.actions import ACTIONS
from escalations.models import Escalation, Participant
from organisations.models import Role, User
from tests.demo.conftest import demo_once  # noqa: F401 (the module's demo)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_once")]

MISSING = 999_999  # an id no row of the demo has


# --- who asks ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Principal:
    name: str
    user: User | None  # None: anonymous

    @property
    def kind(self) -> str:
        user = self.user
        if user is None:
            return "anonymous"
        if user.is_superuser or user.is_staff:
            return "platform"
        if user.role == Role.ORG_ADMIN:
            return "org_admin"
        if user.role == Role.PARTNERSHIP_ADMIN:
            return "partnership_admin"
        if user.role == Role.BOARD_MEMBER:
            return "board"
        if user.role == Role.QAP_CHAIR:
            return "qap_chair"
        if user.role == Role.PSW:
            return "psw"
        return "staff"


STAFF_KINDS = {"staff", "psw"}  # an organisation's own people, who take part in escalations
NEVER_PARTIES = {"anonymous", "platform", "org_admin", "partnership_admin", "board"}  # CONTRACT 8.6


def sees(principal: Principal, escalation: Escalation) -> bool:
    """Who may see an escalation, written from the contract (section 5 and 8.2, 8.6), not read from the product:
    its participants, the managers above its raiser and its holder, the PSWs of the two organisations, the
    partnership's QA&P chair once it is logged with the board or the chair is drawn in; never an administrator,
    a board member or a platform account."""
    user = principal.user
    if principal.kind in NEVER_PARTIES or user is None:
        return False
    drawn_in = Participant.objects.filter(escalation=escalation, user=user).exists()
    if principal.kind == "qap_chair":
        return escalation.ladder.partnership_id == user.partnership_id and (
            escalation.board_logged_at is not None or drawn_in)
    managers_of = {pk for person in (escalation.raised_by, escalation.holder) if person is not None
                   for pk in (manager.pk for manager in person.line_managers())}
    return (drawn_in or user.pk in managers_of or escalation.raised_by_id == user.pk
            or escalation.holder_id == user.pk
            or (principal.kind == "psw" and user.organisation_id in (escalation.raising_organisation_id,
                                                                     escalation.receiving_organisation_id)))


# --- what they are answered ------------------------------------------------------------------------------
@dataclass
class Ask:
    """One request's context: who, and the objects of the URL."""

    principal: Principal
    objects: dict[str, Any]
    api: bool


Rule = Callable[[Ask], set[int]]
SUCCESS = {200, 201, 302}  # what counts as getting through: a page, a creation, a success's redirect
PAGE_OK = {200, 302}
FORM_POSTED = {200, 302, 400}  # a form: saved and redirected, or shown again with its errors
ACTION_TAKEN = {200, 302, 400, 409}  # taken, or refused for its body or for the state it is in (not for who)
LOGIN = {302}  # a page asks an anonymous person to sign in
API_ANONYMOUS = {401, 403}


def _anonymous(ask: Ask) -> set[int] | None:
    if ask.principal.kind == "anonymous":
        return API_ANONYMOUS if ask.api else LOGIN
    return None


def anyone(statuses: set[int]) -> Rule:
    """Public: the same for everyone, signed in or not."""
    return lambda ask: statuses


def signed_in(statuses: set[int], anonymous: set[int] | None = None) -> Rule:
    return lambda ask: (anonymous if anonymous is not None and ask.principal.kind == "anonymous"
                        else _anonymous(ask) or statuses)


def kinds(allowed: set[str], statuses: set[int], refused: set[int] = frozenset({403})) -> Rule:  # type: ignore[assignment]
    """Only these kinds of principal get through; anyone else signed in is refused."""
    return lambda ask: _anonymous(ask) or (statuses if ask.principal.kind in allowed else set(refused))


def who(test: Callable[[Ask], bool], statuses: set[int], refused: set[int] = frozenset({403})) -> Rule:  # type: ignore[assignment]
    return lambda ask: _anonymous(ask) or (statuses if test(ask) else set(refused))


def seeing(statuses: set[int]) -> Rule:
    """The escalation of the URL: whoever sees it gets through; for anyone else it does not exist."""
    return lambda ask: _anonymous(ask) or (statuses if sees(ask.principal, ask.objects["escalation"]) else {404})


def acting(action: str, *, page: bool) -> Rule:
    """An action on the escalation: 404 for whoever does not see it, 403 for whoever may not take it (never a
    platform account, an administrator or a board member), otherwise taken or refused for the body or state."""

    def rule(ask: Ask) -> set[int]:
        escalation, principal = ask.objects["escalation"], ask.principal
        if (anonymous := _anonymous(ask)) is not None:
            return anonymous
        if not sees(principal, escalation):
            return {404}
        may = principal.kind not in NEVER_PARTIES and principal.user.has_perm(ACTIONS[action].permission, escalation)
        return ACTION_TAKEN if may else {403}

    return rule


def seeing_case(statuses: set[int]) -> Rule:
    """The case of the URL's escalation: whoever sees the escalation, except the QA&P chair, who reads escalations
    logged with the board but no case (escalations/cases.py); for anyone else it does not exist."""
    return lambda ask: _anonymous(ask) or (
        statuses if sees(ask.principal, ask.objects["escalation"]) and ask.principal.kind != "qap_chair" else {404})


def attaching(ask: Ask) -> set[int]:
    if (anonymous := _anonymous(ask)) is not None:
        return anonymous
    if not sees(ask.principal, ask.objects["escalation"]):
        return {404}
    return {403} if ask.principal.kind == "board" else FORM_POSTED


def attachment_read(ask: Ask) -> set[int]:
    if (anonymous := _anonymous(ask)) is not None:
        return anonymous
    return {200} if sees(ask.principal, ask.objects["attachment"].escalation) else {404}


def owner_only(key: str, statuses: set[int]) -> Rule:
    """An object of one person's own (a notification): theirs, or 404."""
    return lambda ask: _anonymous(ask) or (
        statuses if ask.principal.user.pk == ask.objects[key].recipient_id else {404})


def register_read(ask: Ask) -> set[int]:
    """A systemic issue: staff of its organisation read it; anyone else without a register is refused."""
    if (anonymous := _anonymous(ask)) is not None:
        return anonymous
    user, issue = ask.principal.user, ask.objects["systemic_issue"]
    if ask.principal.kind in NEVER_PARTIES | {"qap_chair"}:
        return {403, 404}
    return {200} if user.organisation_id == issue.organisation_id else {404}


def register_change(ask: Ask) -> set[int]:
    if (anonymous := _anonymous(ask)) is not None:
        return anonymous
    user, issue = ask.principal.user, ask.objects["systemic_issue"]
    if ask.principal.kind == "psw" and user.organisation_id == issue.organisation_id:
        return FORM_POSTED
    return {403, 404}


def absence_own(statuses: set[int]) -> Rule:
    """An absence: the absent person, their managers and whoever recorded it; 404 for anyone else."""

    def rule(ask: Ask) -> set[int]:
        if (anonymous := _anonymous(ask)) is not None:
            return anonymous
        absence, user = ask.objects["absence"], ask.principal.user
        if ask.principal.kind == "org_admin":
            return statuses if absence.person.organisation_id == user.organisation_id else {404}
        if ask.principal.kind in NEVER_PARTIES | {"qap_chair"}:
            return {403, 404}
        mine = user.pk in (absence.person_id, absence.recorded_by_id) or absence.person_id in user.reports_below()
        return statuses if mine else {404}

    return rule


def org_admin_of(key: str, statuses: set[int]) -> Rule:
    """An object of an organisation's administration: its own administrator; 404 for another's; 403 for
    everyone who administers nothing."""

    def rule(ask: Ask) -> set[int]:
        if (anonymous := _anonymous(ask)) is not None:
            return anonymous
        if ask.principal.kind != "org_admin":
            return {403, 404} if ask.principal.kind == "partnership_admin" else {403}
        return statuses if ask.principal.user.organisation_id == ask.objects[key] else {404}

    return rule


def administrator_of_person(statuses: set[int]) -> Rule:
    """A person, for an administrator: the organisation's own administrator (a partnership's: its members')."""

    def rule(ask: Ask) -> set[int]:
        if (anonymous := _anonymous(ask)) is not None:
            return anonymous
        user, person = ask.principal.user, ask.objects["person"]
        if ask.principal.kind == "org_admin":
            return statuses if user.organisation_id == person.organisation_id else {404}
        if ask.principal.kind == "partnership_admin":
            return {200, 302, 400, 403, 404}  # a partnership's administrator reads its members' people
        return {403}

    return rule


ADMIN_SITE_OK = {200, 302, 403, 404, 405}  # its own rules within: read-only models, POST-only sign-out


def admin_site(ask: Ask) -> set[int]:
    """The Django admin: platform staff only; everyone else is sent to its sign-in."""
    return ADMIN_SITE_OK if ask.principal.kind == "platform" else {302}


SCIM = anyone({401})  # a bearer token of an organisation's identity provider, never a session
CASE_READERS = STAFF_KINDS | {"qap_chair"}
ADMINISTRATORS = {"org_admin", "partnership_admin"}
REPORT_READERS = {"psw", "qap_chair", "board", "platform"}
# The lists of escalations: empty for a board member and a platform account (they see none), refused to an
# administrator (CONTRACT 8.6).
LIST_READERS = CASE_READERS | {"board", "platform"}


FIGURES_MANAGERS = {Role.TEAM_MANAGER, Role.SERVICE_MANAGER, Role.STRATEGIC_MANAGER, Role.HEAD_OF_SERVICE,
                    Role.ASSISTANT_DIRECTOR, Role.DEPUTY_DIRECTOR, Role.DIRECTOR}


def figures_reader(ask: Ask) -> bool:
    """The organisation's figures (aggregates, Stoke 8): a local authority's managers from team manager up, its PSW
    and its administrator."""
    return ask.principal.kind in ("psw", "org_admin") or ask.principal.user.role in FIGURES_MANAGERS
NOT_ALLOWED = {405}
ADMINISTRATORS_READ_ONLY = kinds(ADMINISTRATORS, NOT_ALLOWED, {403, 405})  # a page to read: 405 to a POST


@dataclass(frozen=True)
class Row:
    get: Rule
    post: Rule
    body: str = ""  # "action:<name>" for an action's body; otherwise an empty form or JSON object


def methods_only(statuses: set[int]) -> Rule:
    """A method the view does not take: 405 for anyone it lets that far."""
    return signed_in(statuses)


# One row per URL pattern (its route as the resolver spells it); the Django admin's models one row each, by
# their prefix. Adding a URL without adding its row here fails test_every_url_pattern_has_a_row.
EXPECTED: dict[str, Row] = {
    # --- signing in, health, the home page
    "": Row(get=signed_in({302}), post=signed_in({302, 405})),
    "sign-in/": Row(get=anyone({200, 302}), post=anyone({200, 302, 400, 403, 429})),
    "sign-in/organisation/callback/": Row(get=anyone({302, 400, 403, 404}), post=anyone({302, 400, 403, 404, 405})),
    "sign-in/organisation/<slug:slug>/": Row(get=anyone({302, 400, 403, 404}), post=anyone({302, 403, 404, 405})),
    "sign-out/": Row(get=anyone({200, 302, 405}), post=anyone({200, 302})),
    "healthz/": Row(get=anyone({200}), post=anyone({200, 405})),
    "readyz/": Row(get=anyone({200, 503}), post=anyone({200, 405, 503})),
    # The second factor: a signed-in person's own authenticator app and code.
    "sign-in/code/": Row(get=signed_in({200, 302}), post=signed_in(FORM_POSTED)),
    "sign-in/authenticator/": Row(get=signed_in({200, 302}), post=signed_in(FORM_POSTED)),
    "set-password/<uidb64>/<token>/": Row(get=anyone({200, 302}), post=anyone({200, 302, 400})),
    # --- an organisation's and a partnership's administration
    "administration/": Row(get=kinds(ADMINISTRATORS, {200}), post=ADMINISTRATORS_READ_ONLY),
    "administration/people/": Row(get=kinds(ADMINISTRATORS, {200}), post=ADMINISTRATORS_READ_ONLY),
    "administration/people/invite/": Row(get=kinds(ADMINISTRATORS, {200}), post=kinds(ADMINISTRATORS, FORM_POSTED)),
    "administration/people/<int:pk>/": Row(get=administrator_of_person({200}),
                                           post=administrator_of_person(FORM_POSTED)),
    "administration/people/<int:pk>/deactivate/": Row(get=administrator_of_person({200}),
                                                      post=administrator_of_person(FORM_POSTED)),
    "administration/people/<int:pk>/invite-again/": Row(get=kinds(ADMINISTRATORS, NOT_ALLOWED, {403, 405}),
                                                        post=administrator_of_person(FORM_POSTED | {409})),
    "administration/people/<int:pk>/qap-chair/": Row(get=kinds({"partnership_admin"}, NOT_ALLOWED, {403, 405}),
                                                     post=kinds({"partnership_admin"}, FORM_POSTED | {404})),
    "administration/people/import/": Row(get=kinds({"org_admin"}, {200}), post=kinds({"org_admin"}, FORM_POSTED)),
    "administration/people/import/preview/": Row(get=kinds({"org_admin"}, {200, 302}),
                                                 post=kinds({"org_admin"}, FORM_POSTED)),
    "administration/teams/": Row(get=kinds({"org_admin"}, {200}), post=kinds({"org_admin"}, FORM_POSTED)),
    "administration/teams/<int:pk>/": Row(get=org_admin_of("team_organisation", {200}),
                                          post=org_admin_of("team_organisation", FORM_POSTED)),
    "administration/teams/<int:pk>/delete/": Row(get=kinds({"org_admin"}, NOT_ALLOWED, {403, 405}),
                                                 post=org_admin_of("team_organisation", FORM_POSTED | {409})),
    "administration/settings/": Row(get=kinds({"org_admin"}, {200}), post=kinds({"org_admin"}, FORM_POSTED)),
    "administration/closure-days/": Row(get=kinds({"org_admin"}, {200}), post=kinds({"org_admin"}, FORM_POSTED)),
    "administration/closure-days/<int:pk>/remove/": Row(
        get=kinds({"org_admin"}, NOT_ALLOWED, {403, 405}), post=org_admin_of("closure_day_organisation", PAGE_OK)),
    "administration/tiers/": Row(get=kinds({"org_admin"}, {200}), post=kinds({"org_admin"}, FORM_POSTED)),
    "administration/ladders/": Row(get=kinds(ADMINISTRATORS, {200}), post=ADMINISTRATORS_READ_ONLY),
    "administration/ladders/<slug:slug>/": Row(get=kinds(ADMINISTRATORS, {200, 404}),
                                               post=kinds(ADMINISTRATORS, FORM_POSTED | {404})),
    "administration/ladders/<slug:slug>/categories/": Row(get=kinds(ADMINISTRATORS, NOT_ALLOWED, {403, 405}),
                                                          post=kinds(ADMINISTRATORS, FORM_POSTED | {404})),
    "administration/ladders/<slug:slug>/categories/<int:pk>/remove/": Row(
        get=kinds(ADMINISTRATORS, NOT_ALLOWED, {403, 405}), post=kinds(ADMINISTRATORS, FORM_POSTED | {404})),
    "administration/audit/": Row(get=kinds(ADMINISTRATORS, {200}), post=ADMINISTRATORS_READ_ONLY),
    "administration/retention/": Row(get=kinds({"org_admin"}, {200}), post=kinds({"org_admin"}, FORM_POSTED)),
    # Webhooks: the organisation's own administrator only; another organisation's endpoint or delivery is not found.
    # Adding and rotating answer the POST with the page that shows the new secret once (200).
    "administration/webhooks/": Row(get=kinds({"org_admin"}, {200}), post=kinds({"org_admin"}, NOT_ALLOWED)),
    "administration/webhooks/new/": Row(get=kinds({"org_admin"}, {200}), post=kinds({"org_admin"}, FORM_POSTED)),
    "administration/webhooks/<int:pk>/": Row(get=org_admin_of("endpoint_organisation", {200}),
                                             post=org_admin_of("endpoint_organisation", FORM_POSTED)),
    "administration/webhooks/<int:pk>/switch/": Row(get=kinds({"org_admin"}, NOT_ALLOWED),
                                                    post=org_admin_of("endpoint_organisation", PAGE_OK)),
    "administration/webhooks/<int:pk>/rotate-secret/": Row(get=org_admin_of("endpoint_organisation", {200}),
                                                           post=org_admin_of("endpoint_organisation", PAGE_OK)),
    "administration/webhooks/<int:pk>/deliveries/": Row(get=org_admin_of("endpoint_organisation", {200}),
                                                        post=kinds({"org_admin"}, NOT_ALLOWED)),
    "administration/webhooks/<int:pk>/deliveries/send-again/": Row(
        get=org_admin_of("endpoint_organisation", {200}), post=org_admin_of("endpoint_organisation", FORM_POSTED)),
    "administration/webhooks/deliveries/<int:pk>/send-again/": Row(
        get=kinds({"org_admin"}, NOT_ALLOWED), post=org_admin_of("delivery_organisation", PAGE_OK)),
    # The API tokens of the organisation's case-management system: its own administrator only.
    "administration/tokens/": Row(get=kinds({"org_admin"}, {200}), post=kinds({"org_admin"}, NOT_ALLOWED)),
    "administration/tokens/new/": Row(get=kinds({"org_admin"}, {200}), post=kinds({"org_admin"}, FORM_POSTED)),
    "administration/tokens/<int:pk>/revoke/": Row(get=org_admin_of("service_token_organisation", {200}),
                                                  post=org_admin_of("service_token_organisation", PAGE_OK)),
    # --- the escalations' lists and raising
    "escalations/mine/": Row(get=kinds(LIST_READERS, {200}), post=signed_in({405})),
    "escalations/awaiting/": Row(get=kinds(LIST_READERS, {200}), post=signed_in({405})),
    "escalations/awaiting/team/": Row(get=kinds(LIST_READERS, {200}), post=signed_in({405})),
    "escalations/awaiting/my-cases/": Row(get=kinds(LIST_READERS, {200}), post=signed_in({405})),
    "escalations/raise/": Row(get=kinds(STAFF_KINDS, PAGE_OK), post=kinds(STAFF_KINDS, FORM_POSTED)),
    "escalations/raise/preview/": Row(get=kinds(STAFF_KINDS, PAGE_OK | {400}), post=signed_in(NOT_ALLOWED)),
    "escalations/raise/emergency/": Row(get=kinds(STAFF_KINDS, PAGE_OK), post=signed_in(NOT_ALLOWED)),
    "escalations/raise/details/": Row(get=kinds(STAFF_KINDS, PAGE_OK | {400}), post=kinds(STAFF_KINDS, FORM_POSTED)),
    # --- one escalation
    "escalations/<int:pk>/": Row(get=seeing({200}), post=signed_in(NOT_ALLOWED)),
    "escalations/<int:pk>/raised/": Row(get=seeing({200, 302}), post=signed_in(NOT_ALLOWED)),
    "escalations/<int:pk>/record/": Row(get=seeing({200}), post=signed_in(NOT_ALLOWED)),
    # The written record as a PDF (503 where the server has no Pango) and the case's chronology (JSON).
    "escalations/<int:pk>/record.pdf": Row(get=seeing({200, 503}), post=signed_in(NOT_ALLOWED)),
    "escalations/<int:pk>/chronology.json": Row(get=seeing_case({200}), post=signed_in(NOT_ALLOWED)),
    **{f"escalations/<int:pk>/{spec.page_path}/": Row(get=signed_in(NOT_ALLOWED), post=acting(name, page=True),
                                                      body=f"action:{name}")
       for name, spec in ACTIONS.items()},
    "escalations/<int:pk>/attachments/": Row(get=attaching, post=attaching),
    "escalations/attachments/<int:pk>/": Row(get=attachment_read, post=signed_in({404, 405})),
    # --- the PSW's and the QA&P chair's pages, the systemic issues register
    "escalations/psw-overview/": Row(get=kinds({"psw"}, {200}), post=signed_in({403, 405})),
    "escalations/psw-overview/raise/": Row(get=kinds({"psw"}, PAGE_OK), post=signed_in({403, 405})),
    "escalations/figures/": Row(get=who(figures_reader, {200}), post=signed_in({403, 405})),
    "escalations/board-logged/": Row(get=kinds({"qap_chair"}, {200}), post=signed_in({403, 405})),
    "escalations/systemic-issues/": Row(get=kinds(STAFF_KINDS, {200}), post=signed_in({403, 405})),
    "escalations/systemic-issues/new/": Row(get=kinds({"psw"}, {200}), post=kinds({"psw"}, FORM_POSTED)),
    "escalations/systemic-issues/<int:pk>/": Row(get=register_read, post=register_change),
    # --- the PSW's subject-access export and her organisation's access log
    "escalations/subject-access/": Row(get=kinds({"psw"}, {200}), post=kinds({"psw"}, FORM_POSTED)),
    "access-log/": Row(get=kinds({"psw"}, {200}), post=signed_in({403, 405})),
    # --- notifications and absences
    "notifications/": Row(get=signed_in({200}), post=signed_in({405})),
    "notifications/<int:pk>/read/": Row(get=signed_in({405}), post=owner_only("notification", PAGE_OK)),
    "notifications/read-all/": Row(get=signed_in({405}), post=signed_in(PAGE_OK)),
    "notifications/preferences/": Row(get=signed_in({200}), post=signed_in(FORM_POSTED)),
    # A QA&P chair records her own absence, with another chair of the partnership as cover.
    # An organisation's administrator records anyone's of the organisation.
    "absences/": Row(get=kinds(STAFF_KINDS | {"qap_chair", "org_admin"}, {200}), post=signed_in({403, 405})),
    "absences/new/": Row(get=kinds(STAFF_KINDS | {"qap_chair", "org_admin"}, {200}),
                         post=kinds(STAFF_KINDS | {"qap_chair", "org_admin"}, FORM_POSTED)),
    "absences/<int:pk>/change/": Row(get=absence_own({200, 302, 403}), post=absence_own(FORM_POSTED | {403})),
    "absences/<int:pk>/cancel/": Row(get=absence_own({200, 302, 403}), post=absence_own(PAGE_OK | {403})),
    # --- reports (aggregates only)
    "reports/": Row(get=kinds(REPORT_READERS, {200}), post=kinds(REPORT_READERS, {200, 405})),
    "reports/print/": Row(get=kinds(REPORT_READERS, {200}), post=kinds(REPORT_READERS, {200, 405})),
    "reports/csv/": Row(get=kinds(REPORT_READERS, {200, 400}), post=kinds(REPORT_READERS, {200, 400, 405})),
    # --- the API
    "api/v1/auth/token/": Row(get=anyone({401, 403, 405}), post=anyone({400, 401, 403})),
    "api/v1/me/": Row(get=signed_in({200}), post=signed_in({405})),
    "api/v1/ladders/": Row(get=signed_in({200}), post=signed_in({405})),
    "api/v1/cases/": Row(get=signed_in({200}), post=kinds(STAFF_KINDS, {200, 201, 400})),
    "api/v1/escalations/": Row(get=signed_in({200}), post=kinds(STAFF_KINDS, {201, 400, 409})),
    "api/v1/escalations/<int:id>/": Row(get=seeing({200}), post=signed_in(NOT_ALLOWED)),
    **{f"api/v1/escalations/<int:id>/{spec.path}/": Row(get=signed_in(NOT_ALLOWED), post=acting(name, page=False),
                                                        body=f"action:{name}")
       for name, spec in ACTIONS.items()},
    "api/v1/notifications/": Row(get=signed_in({200}), post=signed_in({405})),
    "api/v1/notifications/<int:id>/read/": Row(get=signed_in({405}),
                                               post=owner_only("notification", {200, 204})),
    # Its body is read before who may record: an empty one is 400 for anyone; no principal gets through.
    "api/v1/absences/": Row(get=signed_in({200, 403}), post=kinds(STAFF_KINDS, {201, 400}, {400, 403})),
    "api/v1/reports/themes/": Row(get=kinds(REPORT_READERS, {200}), post=signed_in({403, 405})),
    "api/v1/administration/people/": Row(get=kinds(ADMINISTRATORS, {200}), post=kinds(ADMINISTRATORS, {201, 400})),
    "api/v1/administration/people/import/": Row(get=kinds({"org_admin"}, NOT_ALLOWED, {403, 405}),
                                                post=kinds({"org_admin"}, {200, 400})),
    "api/v1/administration/people/<int:id>/deactivate/": Row(get=signed_in({403, 405}),
                                                             post=administrator_of_person({200, 400, 409})),
    "api/v1/administration/audit/": Row(get=kinds(ADMINISTRATORS, {200}), post=signed_in({403, 405})),
    "api/v1/cases/subject-access/": Row(get=kinds({"psw"}, {200, 400, 404}), post=signed_in({403, 405})),
    # Without its reference parameter: 400 for anyone signed in (who sees which case: tests/chronology).
    "api/v1/cases/chronology/": Row(get=signed_in({400}), post=signed_in({405})),
    "api/v1/access-log/": Row(get=kinds({"psw"}, {200}), post=signed_in({403, 405})),
    "api/v1/^.*$": Row(get=anyone({404}), post=anyone({404})),
    "api/^.*$": Row(get=anyone({404}), post=anyone({404})),
    "api/schema/": Row(get=anyone({200}), post=anyone({405})),
    "api/docs/": Row(get=anyone({200}), post=anyone({405})),
    "api/redoc/": Row(get=anyone({200}), post=anyone({405})),
    # --- SCIM: only an organisation's identity provider, with its bearer token
    "scim/v2/Users": Row(get=SCIM, post=SCIM),
    "scim/v2/Users/<int:pk>": Row(get=SCIM, post=SCIM),
    "scim/v2/ServiceProviderConfig": Row(get=SCIM, post=SCIM),
    "scim/v2/Schemas": Row(get=SCIM, post=SCIM),
    "scim/v2/ResourceTypes": Row(get=SCIM, post=SCIM),
    "scim/v2/^.*$": Row(get=anyone({404}), post=anyone({404})),
    # --- the Django admin: platform staff only
    **{route: Row(get=admin_site, post=admin_site) for route in (
        "admin/", "admin/password_change/", "admin/password_change/done/",
        "admin/autocomplete/", "admin/jsi18n/", "admin/r/<path:content_type_id>/<path:object_id>/",
        "admin/organisations/user/<id>/password/", "admin/(?P<url>.*)$",
        "admin/otp_totp/totpdevice/<int:pk>/config/", "admin/otp_totp/totpdevice/<int:pk>/qrcode/",
    )},
    "admin/login/": Row(get=anyone({200, 302}), post=anyone({200, 302})),  # its form; it signs in staff only
    "admin/logout/": Row(get=anyone({302, 405}), post=anyone({200, 302})),
    "admin/^(?P<app_label>auth|knox|axes|otp_totp|django_celery_beat|organisations|policies|oversight|scim"
    "|notifications|administration|identity)/$": Row(get=admin_site, post=admin_site),
    **{f"admin/{model}/": Row(get=admin_site, post=admin_site) for model in (
        "auth/group", "knox/authtoken", "axes/accessattempt", "axes/accesslog", "axes/accessfailurelog",
        "otp_totp/totpdevice", "django_celery_beat/periodictask", "django_celery_beat/clockedschedule",
        "django_celery_beat/crontabschedule", "django_celery_beat/solarschedule",
        "django_celery_beat/intervalschedule", "organisations/organisation", "organisations/partnership",
        "organisations/team", "organisations/closureday", "organisations/user", "policies/ladder",
        "oversight/systemicissue", "oversight/systemicissueevent", "scim/scimtoken", "notifications/preference",
        "notifications/digestsent", "administration/auditentry", "identity/signon", "identity/servicetoken",
    )},
}

# Routes that the Django admin's rules answer identically for a whole model: its list, add, change, delete,
# history and object pages share the model's row.
ADMIN_MODEL_PAGES = ("", "add/", "<path:object_id>/history/", "<path:object_id>/delete/",
                     "<path:object_id>/change/", "<path:object_id>/")


# --- walking the resolver ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pattern:
    route: str
    name: str
    converters: tuple[str, ...]


def _walk(resolver: URLResolver, prefix: str = "") -> Iterator[Pattern]:
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry, route)
        elif isinstance(entry, URLPattern):
            yield Pattern(route, entry.name or "", tuple(entry.pattern.converters))


def patterns() -> list[Pattern]:
    return list(_walk(get_resolver()))


def row_for(route: str) -> Row | None:
    if route in EXPECTED:
        return EXPECTED[route]
    for suffix in ADMIN_MODEL_PAGES:
        if suffix and route.endswith(suffix) and route[: -len(suffix)] in EXPECTED:
            return EXPECTED[route[: -len(suffix)]]
    return None


def test_every_url_pattern_has_a_row():
    missing = [pattern.route for pattern in patterns() if row_for(pattern.route) is None]
    assert not missing, f"new URL without an expectation: {missing}"
    stale = set(EXPECTED) - {pattern.route for pattern in patterns()} - {
        route for route in EXPECTED if any(p.route.startswith(route) for p in patterns())}
    assert not stale, f"rows for URLs that no longer exist: {sorted(stale)}"


# --- the demo's objects, and a concrete URL for each pattern ---------------------------------------------
# The escalations every escalation-scoped pattern is requested on: a multi-agency one in mediation, logged
# with the board (seen across two organisations, by the QA&P chair), and a single-agency one at a meeting.
ESCALATIONS = (("DEMO-PD-4001", "in_mediation"), ("DEMO-BX-1003", "meeting_arranged"))

# What a pattern's first id names, by the start of its route (the most specific first).
SUBJECTS = (
    ("escalations/attachments/", "attachment"), ("escalations/systemic-issues/", "systemic_issue"),
    ("escalations/", "escalation"), ("api/v1/escalations/", "escalation"),
    ("notifications/", "notification"), ("api/v1/notifications/", "notification"), ("absences/", "absence"),
    ("administration/people/", "person"), ("api/v1/administration/people/", "person"),
    ("administration/teams/", "team"), ("administration/closure-days/", "closure_day"),
    ("administration/tokens/", "service_token"),
    ("administration/ladders/", "ladder"), ("scim/v2/Users/", "person"), ("admin/organisations/user/", "person"),
    ("sign-in/organisation/", "organisation"), ("set-password/", "person"),
    ("administration/webhooks/deliveries/", "delivery"), ("administration/webhooks/", "endpoint"),
)
FIXED = {  # patterns that are regular expressions: a path each one answers
    "api/v1/^.*$": "/api/v1/no-such-thing/",
    "scim/v2/^.*$": "/scim/v2/NoSuchThing",
    "admin/(?P<url>.*)$": "/admin/no-such-thing/",
    "admin/^(?P<app_label>auth|knox|axes|otp_totp|django_celery_beat|organisations|policies|oversight|scim"
    "|notifications|administration|identity)/$": "/admin/organisations/",
    "api/^.*$": "/api/no-such-thing/",
}


def subject_of(route: str) -> str | None:
    if "<" not in route:
        return None
    return next((key for start, key in SUBJECTS if route.startswith(start)), "admin")


def _admin_model(route: str):
    app_label, model_name = route.split("/")[1:3]
    return next(model for model in admin.site._registry if (model._meta.app_label, model._meta.model_name) == (
        app_label, model_name))


def concrete(route: str, objects: dict[str, Any], *, missing: bool = False) -> str:
    """The path of the pattern for the demo's objects; ``missing``: with an id (or slug) that names nothing."""
    if route in FIXED:
        return FIXED[route]
    subject = subject_of(route)
    values: list[str]
    if subject is None:
        values = []
    elif subject == "admin":
        if "content_type_id" in route:
            organisation = objects["organisation"]
            values = [str(ContentType.objects.get_for_model(organisation).pk), str(organisation.pk)]
        else:
            first = _admin_model(route).objects.order_by("pk").first()
            values = [str(first.pk if first is not None else MISSING)]
    elif subject == "organisation":
        values = [objects["organisation"].slug]
    elif subject == "ladder":
        values = [objects["ladder"].slug, str(objects["category"].pk)]
    elif route.startswith("set-password/"):
        person = objects["person"]
        values = [urlsafe_base64_encode(force_bytes(person.pk)), default_token_generator.make_token(person)]
    else:
        values = [str(objects[subject].pk)]
    if missing and values:
        values[0] = "no-such-thing" if subject in ("ladder", "organisation") else str(MISSING)
    path, rest = "", route
    while "<" in rest:
        before, _, after = rest.partition("<")
        path += before + values.pop(0)
        rest = after.partition(">")[2]
    return "/" + path + rest


def _candidates(spec_input: actions.Person | actions.People, escalation: Escalation) -> list[User]:
    return list(import_string(spec_input.candidates)(escalation=escalation)[:3])


def action_body(name: str, escalation: Escalation, *, api: bool) -> dict[str, Any]:
    """A body of the right shape for the action (a page's form fields, or the API's JSON)."""
    spec = ACTIONS[name]
    when = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    body: dict[str, Any] = {}
    for spec_input in spec.inputs:
        if isinstance(spec_input, actions.Text):
            value: Any = "Recorded by the access matrix."
        elif isinstance(spec_input, actions.Choice):
            value = spec_input.choices[0][0]
        elif isinstance(spec_input, actions.YesNo):
            value = False if api else "no"
        elif isinstance(spec_input, actions.Person):
            people = _candidates(spec_input, escalation)
            value = (people[0].username if api else people[0].pk) if people else ("nobody" if api else "")
        elif isinstance(spec_input, actions.People):
            people = _candidates(spec_input, escalation)
            value = [person.username if api else person.pk for person in people]
        elif isinstance(spec_input, actions.StageChoice):
            stages = spec_input.stages(escalation)
            value = stages[0].index if stages else escalation.stage_index + 2
        else:  # a moment
            if api:
                value = when.isoformat()
            else:
                body.update({f"{name}-{spec_input.prefix}_day": str(when.day),
                             f"{name}-{spec_input.prefix}_month": str(when.month),
                             f"{name}-{spec_input.prefix}_year": str(when.year),
                             f"{name}-{spec_input.prefix}_time": "10:00"})
                continue
        body[spec_input.name if api else f"{name}-{spec_input.name}"] = value
    if spec.versioned:
        body["version" if api else f"{name}-version"] = escalation.version
    return body


@pytest.fixture(scope="module")
def demo_objects(demo_once, django_db_blocker, tmp_path_factory):  # noqa: F811 (the imported fixture)
    """The objects the URLs name, and the principals: every demo person, a partnership's administrator (the demo
    has none), the demo's superuser, and an anonymous visitor."""
    from django.test.utils import override_settings

    from escalations.attachments import attachment_create
    from notifications.models import Notification
    from organisations.models import Absence, ClosureDay, Partnership, Team
    from oversight.models import SystemicIssue
    from policies.models import Category

    with django_db_blocker.unblock(), override_settings(ATTACHMENTS_ROOT=tmp_path_factory.mktemp("attachments")):
        User.objects.create_user("wiltshire-partnership-admin", "wpa@example.org", "demo-pass-2026",
                                 role=Role.PARTNERSHIP_ADMIN,
                                 partnership=Partnership.objects.get(slug="wiltshire-partnership"))
        escalations = [Escalation.objects.get(case__reference=reference, state=state)
                       for reference, state in ESCALATIONS]
        attachment = attachment_create(escalation=escalations[0], actor=escalations[0].raised_by,
                                       upload=SimpleUploadedFile("minutes.txt", b"Strategy meeting minutes.\n"))
        bexley_practitioner = User.objects.get(username="bexley-practitioner")
        ClosureDay.objects.create(organisation=bexley_practitioner.organisation, date=dt.date(2027, 12, 29),
                                  reason="Office closed")
        ladder = escalations[1].ladder
        from identity.service_tokens import service_token_create

        service_token, _ = service_token_create(
            organisation=bexley_practitioner.organisation, name="Mosaic", scopes=["escalations:read"],
            last_day=dt.date.today() + dt.timedelta(days=30))
        objects = {
            "attachment": attachment,
            "systemic_issue": SystemicIssue.objects.order_by("pk").first(),
            "notification": Notification.objects.filter(recipient=bexley_practitioner).order_by("pk").first(),
            "absence": Absence.objects.order_by("pk").first(),
            "person": bexley_practitioner,
            "team": Team.objects.filter(organisation__slug="bexley").order_by("pk").first(),
            "closure_day": ClosureDay.objects.filter(organisation__slug="bexley").order_by("pk").first(),
            "ladder": ladder,
            "category": Category.objects.filter(ladder=ladder).order_by("pk").first(),
            "organisation": bexley_practitioner.organisation,
            "service_token": service_token,
        }
        # A webhook endpoint of Bexley's with one delivery (the demo has none: it would point at no real host).
        from webhooks.models import Delivery, Endpoint, OutboxEvent

        endpoint = Endpoint.objects.create(organisation=bexley_practitioner.organisation, name="Access matrix",
                                           url="https://cms.bexley.example/escalation-events")
        endpoint.secrets.create(secret="whsec_" + "A" * 44)
        event = OutboxEvent.objects.create(event_id="msg_accessmatrix", organisation=endpoint.organisation,
                                           type="escalation.raise", payload={})
        objects["endpoint"] = endpoint
        objects["delivery"] = Delivery.objects.create(event=event, endpoint=endpoint, status=Delivery.Status.FAILED)
        assert all(value is not None for value in objects.values()), [k for k, v in objects.items() if v is None]
        objects["team_organisation"] = objects["team"].organisation_id
        objects["endpoint_organisation"] = endpoint.organisation_id
        objects["delivery_organisation"] = endpoint.organisation_id
        objects["closure_day_organisation"] = objects["closure_day"].organisation_id
        objects["service_token_organisation"] = objects["service_token"].organisation_id
        principals = [Principal("anonymous", None)] + [
            Principal(user.username, user) for user in User.objects.order_by("username")]
        yield escalations, objects, principals


# --- the matrix --------------------------------------------------------------------------------------------
@dataclass
class Tally:
    requests: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    unexpected_success: int = 0
    hidden_checked: int = 0
    hidden_differs: list[str] = field(default_factory=list)


def _request(client: Client, method: str, path: str, body: dict[str, Any], *, api: bool):
    """One request in a savepoint rolled back at once, with the principal's cookies kept: every principal meets
    the same demo, signed in still after a sign-out (the session's row comes back with the rollback)."""
    cookies = {name: morsel.value for name, morsel in client.cookies.items()}
    with transaction.atomic():
        if method == "get":
            response = client.get(path)
        elif api:
            response = client.post(path, json.dumps(body), content_type="application/json")
        else:
            response = client.post(path, body)
        transaction.set_rollback(True)
    client.cookies.clear()
    for name, value in cookies.items():
        client.cookies[name] = value
    return response


# The principals are taken in shards, so that the test runner's workers share the matrix between them.
SHARDS = 8


def _fixed(content: bytes) -> bytes:
    """A page's bytes without what differs on every answer whatever was asked: the masked CSRF token of its
    forms and the Content-Security-Policy nonce of its scripts."""
    content = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b'name="csrfmiddlewaretoken" value=""', content)
    return re.sub(rb'nonce="[^"]*"', b'nonce=""', content)


@pytest.mark.parametrize("shard", range(SHARDS))
def test_the_access_matrix(demo_objects, monkeypatch, shard):
    """Every pattern × every principal × GET and POST answers as its row says: nobody gets through where the row
    refuses (0 unexpected 2xx), and an invisible object's 404 is byte for byte a missing one's. Each shard takes
    every SHARDS-th principal; together they take them all."""
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "allow_request", lambda self, request, view: True)
    escalations, objects, principals = demo_objects
    tally = Tally()
    all_patterns = patterns()
    for principal in principals[shard::SHARDS]:
        client = Client(raise_request_exception=False)
        if principal.user is not None:
            client.force_login(principal.user)
        for pattern in all_patterns:
            row = row_for(pattern.route)
            assert row is not None, f"new URL without an expectation: {pattern.route}"
            api = pattern.route.startswith("api/")
            scoped = subject_of(pattern.route) == "escalation"
            for escalation in escalations if scoped else escalations[:1]:
                here = {**objects, "escalation": escalation}
                ask = Ask(principal, here, api)
                for method, rule in (("get", row.get), ("post", row.post)):
                    body = (action_body(row.body.removeprefix("action:"), escalation, api=api)
                            if method == "post" and row.body else {})
                    path = concrete(pattern.route, here)
                    response = _request(client, method, path, body, api=api)
                    tally.requests += 1
                    tally.by_status[response.status_code] += 1
                    expected = rule(ask)
                    where = f"{method.upper()} {path} as {principal.name}"
                    if response.status_code not in expected:
                        tally.unexpected.append(f"{where}: {response.status_code}, expected {sorted(expected)}")
                        if response.status_code in SUCCESS and not expected & SUCCESS:
                            tally.unexpected_success += 1
                    if response.status_code == 404 and subject_of(pattern.route) not in (None, "admin"):
                        gone = _request(client, method, concrete(pattern.route, here, missing=True), body, api=api)
                        tally.requests += 1
                        tally.hidden_checked += 1
                        if (gone.status_code, _fixed(gone.content)) != (404, _fixed(response.content)):
                            tally.hidden_differs.append(f"{where}: {gone.status_code} {gone.content[:80]!r} "
                                                        f"for a missing one, {response.content[:80]!r} here")
    report = (f"shard {shard + 1} of {SHARDS}: {len(all_patterns)} patterns × {len(principals[shard::SHARDS])} of "
              f"{len(principals)} principals × 2 methods "
              f"(escalation-scoped patterns on {len(escalations)} escalations): {tally.requests} requests, "
              f"{tally.hidden_checked} hidden-object 404s compared with a missing id; statuses "
              f"{dict(sorted(tally.by_status.items()))}")
    print(report)
    assert tally.unexpected_success == 0, "\n".join(tally.unexpected)
    assert not tally.unexpected, f"{len(tally.unexpected)} unexpected answers:\n" + "\n".join(tally.unexpected[:200])
    assert not tally.hidden_differs, "\n".join(tally.hidden_differs[:50])
