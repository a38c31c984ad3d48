"""The audit log's rows: one small function per kind, each called by the service that makes the change,
inside its transaction (never from a signal)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from audit.services import Action, Subject, access_record_many
from identity.models import ServiceToken
from organisations.models import ClosureDay, Organisation, Team, User
from policies.models import Category, Ladder
from webhooks.models import Delivery, Endpoint, EndpointSecret

from .models import AuditEntry, AuditKind


def _entry(*, actor: User, kind: str, subject: str, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None, at: dt.datetime | None = None) -> AuditEntry:
    """An unsaved row in the actor's organisation or partnership."""
    return AuditEntry(
        at=at or timezone.now(), actor=actor, organisation_id=actor.organisation_id,
        partnership_id=None if actor.organisation_id else actor.partnership_id,
        kind=kind, subject=subject[:300], before=before or {}, after=after or {},
    )


def organisation_created(*, organisation: Organisation, administrator: User) -> AuditEntry:
    """The platform's command set the organisation up and invited its first administrator."""
    return AuditEntry(
        actor=None, organisation=organisation, kind=AuditKind.ORGANISATION_CREATED, subject=organisation.name,
        after={"slug": organisation.slug, "kind": organisation.kind, "administrator": administrator.email},
    )


def _access_rows(entries: list[AuditEntry]) -> None:
    """Each change also goes to the access log, linked by the entry's id, with where it came from (the
    client's address) and when in UTC: the entry keeps what changed, the access log who did it from where."""
    subjects = [Subject(kind="audit_entry", id=str(entry.pk), organisation_id=entry.organisation_id)
                for entry in entries]
    by_actor = entries[0].actor if entries else None
    access_record_many(action=Action.ADMINISTRATIVE_CHANGE, objs=subjects, user=by_actor,
                       detail={"via": "administration", "kinds": sorted({entry.kind for entry in entries})})


def audit_add(entry: AuditEntry) -> AuditEntry:
    entry.save()
    _access_rows([entry])
    return entry


def audit_add_many(entries: list[AuditEntry]) -> list[AuditEntry]:
    saved = AuditEntry.objects.bulk_create(entries)
    _access_rows(saved)
    return saved


def person_snapshot(person: User) -> dict[str, Any]:
    """What the audit log records of a person: never anything about a case."""
    return {
        "name": person.get_full_name(),
        "email": person.email,
        "role": person.role,
        "team": person.team.name if person.team_id and person.team else "",
        "line_manager": person.line_manager.email if person.line_manager_id and person.line_manager else "",
        "active": person.is_active,
    }


def _who(person: User) -> str:
    return f"{person.get_full_name() or person.username} <{person.email}>"


def person_invited(*, actor: User, person: User, source: str = "page") -> AuditEntry:
    return _entry(actor=actor, kind=AuditKind.PERSON_INVITED, subject=_who(person),
                  after={**person_snapshot(person), "source": source})


def invitation_resent(*, actor: User, person: User) -> AuditEntry:
    return _entry(actor=actor, kind=AuditKind.INVITATION_RESENT, subject=_who(person), after={"email": person.email})


def person_changed(*, actor: User, person: User, before: dict[str, Any], source: str = "page") -> AuditEntry:
    after = person_snapshot(person)
    changed = sorted(key for key in after if before.get(key) != after[key])
    return _entry(actor=actor, kind=AuditKind.PERSON_CHANGED, subject=_who(person),
                  before={key: before.get(key) for key in changed},
                  after={**{key: after[key] for key in changed}, "source": source})


def person_deactivated(*, actor: User, person: User, sessions_ended: int, tokens_ended: int,
                       stages_passed_on: int = 0) -> AuditEntry:
    return _entry(actor=actor, kind=AuditKind.PERSON_DEACTIVATED, subject=_who(person),
                  before={"active": True},
                  after={"active": False, "sessions_ended": sessions_ended, "tokens_ended": tokens_ended,
                         "stages_passed_on": stages_passed_on})


def qap_chair_changed(*, actor: User, previous: User | None, chair: User) -> AuditEntry:
    return _entry(actor=actor, kind=AuditKind.QAP_CHAIR_CHANGED, subject=_who(chair),
                  before={"qap_chair": previous.email if previous else ""}, after={"qap_chair": chair.email})


def team_created(*, actor: User, team: Team) -> AuditEntry:
    return _entry(actor=actor, kind=AuditKind.TEAM_CREATED, subject=team.name, after={"name": team.name})


def team_renamed(*, actor: User, team: Team, old_name: str) -> AuditEntry:
    return _entry(actor=actor, kind=AuditKind.TEAM_RENAMED, subject=team.name,
                  before={"name": old_name}, after={"name": team.name})


def team_deleted(*, actor: User, name: str, members: int) -> AuditEntry:
    return _entry(actor=actor, kind=AuditKind.TEAM_DELETED, subject=name,
                  before={"name": name, "members": members})


def closure_day_added(*, actor: User, day: ClosureDay) -> AuditEntry:
    return _entry(actor=actor, kind=AuditKind.CLOSURE_DAY_ADDED, subject=f"{day.date:%d %B %Y}",
                  after={"date": day.date.isoformat(), "reason": day.reason})


def closure_day_removed(*, actor: User, date: dt.date, reason: str) -> AuditEntry:
    return _entry(actor=actor, kind=AuditKind.CLOSURE_DAY_REMOVED, subject=f"{date:%d %B %Y}",
                  before={"date": date.isoformat(), "reason": reason})


def settings_changed(*, actor: User, organisation: Organisation, before: dict[str, Any],
                     after: dict[str, Any]) -> AuditEntry:
    changed = sorted(key for key in after if before.get(key) != after[key])
    return _entry(actor=actor, kind=AuditKind.SETTINGS_CHANGED, subject=organisation.name,
                  before={key: before[key] for key in changed}, after={key: after[key] for key in changed})


def category_added(*, actor: User, category: Category) -> AuditEntry:
    return _entry(actor=actor, kind=AuditKind.CATEGORY_ADDED, subject=f"{category.label} ({category.ladder.slug})",
                  after={"ladder": category.ladder.slug, "slug": category.slug, "label": category.label})


def category_removed(*, actor: User, ladder: Ladder, slug: str, label: str) -> AuditEntry:
    return _entry(actor=actor, kind=AuditKind.CATEGORY_REMOVED, subject=f"{label} ({ladder.slug})",
                  before={"ladder": ladder.slug, "slug": slug, "label": label})


def tier_mapping_changed(*, actor: User, organisation: Organisation, before: dict[str, str],
                         after: dict[str, str]) -> AuditEntry:
    return _entry(actor=actor, kind=AuditKind.TIER_MAPPING_CHANGED, subject=organisation.name,
                  before=before, after=after)


def timescales_changed(*, actor: User, ladder: Ladder, kept_version: int, before: dict[str, int],
                       after: dict[str, int]) -> AuditEntry:
    return _entry(actor=actor, kind=AuditKind.TIMESCALES_CHANGED, subject=f"{ladder.name} (version {ladder.version})",
                  before={"version": kept_version, "working_days": before},
                  after={"version": ladder.version, "working_days": after})


def retention_changed(*, actor: User, organisation: Organisation, before: int, after: int) -> AuditEntry:
    return _entry(actor=actor, kind=AuditKind.RETENTION_CHANGED, subject=organisation.name,
                  before={"retention_days": before}, after={"retention_days": after})



# --- webhooks (never a secret in full: its last four characters name it) ---------------------------------------
def endpoint_snapshot(endpoint: Endpoint) -> dict[str, Any]:
    """What the audit log records of a webhook endpoint."""
    return {"name": endpoint.name, "url": endpoint.url, "kinds": list(endpoint.kinds),
            "include_display_name": endpoint.include_display_name, "active": endpoint.active}


def _secret_ending(secret: EndpointSecret) -> str:
    return f"…{secret.secret[-4:]}"


def webhook_endpoint_added(*, actor: User, endpoint: Endpoint, secret: EndpointSecret) -> AuditEntry:
    return _entry(actor=actor, kind=AuditKind.WEBHOOK_ENDPOINT_ADDED, subject=endpoint.name,
                  after={**endpoint_snapshot(endpoint), "secret": _secret_ending(secret)})


def webhook_endpoint_changed(*, actor: User, endpoint: Endpoint, before: dict[str, Any]) -> AuditEntry:
    after = endpoint_snapshot(endpoint)
    changed = sorted(key for key in after if before.get(key) != after[key])
    return _entry(actor=actor, kind=AuditKind.WEBHOOK_ENDPOINT_CHANGED, subject=endpoint.name,
                  before={key: before.get(key) for key in changed}, after={key: after[key] for key in changed})


def webhook_secret_rotated(*, actor: User, endpoint: Endpoint, secret: EndpointSecret,
                           previous: EndpointSecret | None) -> AuditEntry:
    before = {"secret": _secret_ending(previous)} if previous is not None else {}
    if previous is not None and previous.expires_at is not None:
        before["valid_until"] = previous.expires_at.isoformat()
    return _entry(actor=actor, kind=AuditKind.WEBHOOK_SECRET_ROTATED, subject=endpoint.name,
                  before=before, after={"secret": _secret_ending(secret)})


def webhook_delivery_replayed(*, actor: User, delivery: Delivery, status_before: str) -> AuditEntry:
    """One delivery sent again: named by its event's id and type, never by what the event holds."""
    return _entry(actor=actor, kind=AuditKind.WEBHOOK_DELIVERY_REPLAYED,
                  subject=f"{delivery.endpoint.name}: {delivery.event.event_id}",
                  before={"status": status_before},
                  after={"status": delivery.status, "event": delivery.event.event_id, "type": delivery.event.type})


def webhook_deliveries_replayed(*, actor: User, endpoint: Endpoint, start: dt.datetime, end: dt.datetime,
                                count: int) -> AuditEntry:
    return _entry(actor=actor, kind=AuditKind.WEBHOOK_DELIVERIES_REPLAYED, subject=endpoint.name,
                  after={"from": start.isoformat(), "to": end.isoformat(), "deliveries": count})

# --- API tokens of the organisation's case-management system (actor empty: the service_token command) ---------
def _token_entry(*, actor: User | None, token: ServiceToken, kind: str, before: dict[str, Any] | None = None,
                 after: dict[str, Any] | None = None) -> AuditEntry:
    return AuditEntry(actor=actor, organisation_id=token.organisation_id, kind=kind,
                      subject=f"{token.name} ({token.prefix}…)"[:300], before=before or {}, after=after or {})


def service_token_issued(*, actor: User | None, token: ServiceToken, source: str = "page") -> AuditEntry:
    """A token made: its name, prefix, scopes and expiry (never its key, which nobody keeps)."""
    return _token_entry(actor=actor, token=token, kind=AuditKind.SERVICE_TOKEN_ISSUED, after={
        "name": token.name, "prefix": token.prefix, "scopes": list(token.scopes),
        "expires_at": token.expires_at.isoformat(), "source": source,
    })


def service_token_revoked(*, actor: User | None, token: ServiceToken, source: str = "page") -> AuditEntry:
    return _token_entry(actor=actor, token=token, kind=AuditKind.SERVICE_TOKEN_REVOKED, before={"revoked": False},
                        after={"revoked": True, "prefix": token.prefix, "source": source})


# --- the retention run's (actor empty: the system; a case is named by its id, never its reference) -------------
def escalation_anonymised(*, organisation_id: int, erased: dict[str, Any], at: dt.datetime) -> AuditEntry:
    """One escalation's free text and attachments erased after its retention period: what, in counts."""
    return AuditEntry(at=at, actor=None, organisation_id=organisation_id, kind=AuditKind.ESCALATION_ANONYMISED,
                      subject=f"Escalation {erased['escalation']}", after=erased)


def case_anonymised(*, organisation_id: int, case_id: int, at: dt.datetime) -> AuditEntry:
    """A case with no escalation left in full lost its reference and display name."""
    return AuditEntry(at=at, actor=None, organisation_id=organisation_id, kind=AuditKind.CASE_ANONYMISED,
                      subject=f"Case {case_id}", after={"case": case_id})


def digests_erased(*, organisation: Organisation, count: int, retention_days: int, at: dt.datetime) -> AuditEntry:
    return AuditEntry(at=at, actor=None, organisation=organisation, kind=AuditKind.DIGESTS_ERASED,
                      subject=f"{count} digest{'s' if count != 1 else ''}",
                      after={"digests": count, "retention_days": retention_days})
