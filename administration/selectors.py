"""The reads of the administration pages: always within the administrator's own organisation or partnership."""
from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from organisations.models import ClosureDay, Team, User
from policies.models import Category, Ladder

from .models import AuditEntry


def people_list(*, actor: User) -> QuerySet[User]:
    """The organisation's staff, or the partnership's people, active first, by name."""
    if actor.organisation_id:
        people = User.objects.filter(organisation_id=actor.organisation_id)
    else:
        people = User.objects.filter(organisation__isnull=True, partnership_id=actor.partnership_id)
    return people.select_related("team", "line_manager").order_by("-is_active", "first_name", "last_name", "pk")


def person_get(*, actor: User, pk: int) -> User:
    """One of the administrator's own people; anyone else is not found."""
    person = people_list(actor=actor).filter(pk=pk).first()
    if person is None:
        raise Http404("No such person in your organisation.")
    return person


def team_list(*, actor: User) -> QuerySet[Team]:
    return Team.objects.filter(organisation_id=actor.organisation_id).annotate(
        active_members=Count("members", filter=Q(members__is_active=True))
    ).order_by("name")


def team_get(*, actor: User, pk: int) -> Team:
    team = team_list(actor=actor).filter(pk=pk).first()
    if team is None:
        raise Http404("No such team in your organisation.")
    return team


def closure_day_list(*, actor: User) -> QuerySet[ClosureDay]:
    return ClosureDay.objects.filter(organisation_id=actor.organisation_id).order_by("date")


def closure_day_get(*, actor: User, pk: int) -> ClosureDay:
    day = closure_day_list(actor=actor).filter(pk=pk).first()
    if day is None:
        raise Http404("No such closure day.")
    return day


def ladder_list(*, actor: User) -> QuerySet[Ladder]:
    """The current ladders the administrator's organisation or partnership owns."""
    if actor.organisation_id:
        owner = Q(organisation_id=actor.organisation_id)
    else:
        owner = Q(partnership_id=actor.partnership_id)
    return Ladder.objects.current().filter(owner).prefetch_related("stages", "categories").order_by("name")


def ladder_get(*, actor: User, slug: str) -> Ladder:
    ladder = ladder_list(actor=actor).filter(slug=slug).first()
    if ladder is None:
        raise Http404("No such ladder of yours.")
    return ladder


def category_get(*, ladder: Ladder, pk: int) -> Category:
    category = ladder.categories.filter(pk=pk).first()
    if category is None:
        raise Http404("No such category on this ladder.")
    return category


def audit_list(*, actor: User) -> QuerySet[AuditEntry]:
    """The audit log of the administrator's organisation or partnership, newest first."""
    if actor.organisation_id:
        entries = AuditEntry.objects.filter(organisation_id=actor.organisation_id)
    else:
        entries = AuditEntry.objects.filter(partnership_id=actor.partnership_id, organisation__isnull=True)
    return entries.select_related("actor").order_by("-at", "-pk")
