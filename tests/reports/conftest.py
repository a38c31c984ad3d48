"""Hand-built escalations with known answers for the themes report.

Raised and resolved times are fixed with ``now=`` and the time machine, so every working-day
figure can be counted on a calendar (October and November 2026 have no bank holidays in England).
"""
import pytest

from deadlines.sweep import deadlines_sweep
from escalations import services
from organisations.models import Organisation, Partnership
from tests.conftest import at

# The report is read at this moment; the period is October and November 2026.
NOW = at(2026, 11, 30, 12, 0)
PERIOD = {"from": "2026-10-01", "to": "2026-11-30"}


def _accept(escalation, people, who="bexley-practitioner"):
    return services.escalation_accept(escalation=escalation, actor=people[who], agreed_outcome="Agreed plan.",
                                      outstanding_actions="Review in supervision.")


@pytest.fixture
def bexley_set(raise_escalation, people, travel):
    """Seven Bexley escalations in the period, one before it, and one of Stoke's (another organisation).

    E3 Oct: resolved at stage 0 after 5 working days (over the 4-day timescale).
    E1: resolved at stage 0 after 1 working day.       E2: resolved at stage 1 after 3 working days.
    E7: resolved at stage 0, reopened, resolved at stage 1 after 2 working days.
    E4: withdrawn.   E5: significant harm, advanced by the clock, overdue and stuck.   E6: fresh, open.
    """
    practitioner = people["bexley-practitioner"]
    tm, sm = people["bexley-team-manager"], people["bexley-service-manager"]
    made = {}

    travel(at(2026, 9, 28, 10, 0))  # before the period: never counted
    made["before"] = raise_escalation("bexley-practitioner", "bexley-internal", category="communication",
                                      now=at(2026, 9, 28, 10, 0))

    travel(at(2026, 10, 5, 10, 0))
    e3 = raise_escalation("bexley-practitioner", "bexley-internal", category="communication",
                          now=at(2026, 10, 5, 10, 0))
    travel(at(2026, 10, 9, 15, 0))
    e3 = services.escalation_respond(escalation=e3, actor=tm, decision="agree", rationale="Agreed.")
    travel(at(2026, 10, 12, 9, 0))
    made["E3"] = _accept(e3, people)

    travel(at(2026, 11, 2, 10, 0))
    e1 = raise_escalation("bexley-practitioner", "bexley-internal", category="need-for-action",
                          now=at(2026, 11, 2, 10, 0))
    e2 = raise_escalation("bexley-practitioner", "bexley-internal", category="communication",
                          now=at(2026, 11, 2, 10, 0))
    e7 = raise_escalation("bexley-practitioner", "bexley-internal", category="need-for-action",
                          now=at(2026, 11, 2, 10, 0))
    travel(at(2026, 11, 2, 11, 0))
    e7 = services.escalation_respond(escalation=e7, actor=tm, decision="agree", rationale="Agreed.")
    e7 = _accept(e7, people)

    travel(at(2026, 11, 3, 10, 0))
    e4 = raise_escalation("bexley-practitioner", "bexley-internal", category="level-of-need",
                          now=at(2026, 11, 3, 10, 0))
    e1 = services.escalation_respond(escalation=e1, actor=tm, decision="agree", rationale="Agreed.")
    made["E1"] = _accept(e1, people)
    e2 = services.escalation_respond(escalation=e2, actor=tm, decision="uphold", rationale="Threshold not met.")
    e2 = services.escalation_escalate(escalation=e2, actor=practitioner, reason="Still unsafe.")
    e7 = services.escalation_reopen(escalation=e7, actor=practitioner, reason="Overturned by the service manager.")
    e7 = services.escalation_respond(escalation=e7, actor=sm, decision="agree", rationale="Agreed.")

    travel(at(2026, 11, 4, 10, 0))
    made["E4"] = services.escalation_withdraw(escalation=e4, actor=practitioner, reason="Settled in supervision.")
    e2 = services.escalation_respond(escalation=e2, actor=sm, decision="agree", rationale="Agreed.")
    made["E7"] = _accept(e7, people)

    travel(at(2026, 11, 5, 10, 0))
    made["E2"] = _accept(e2, people)

    travel(at(2026, 11, 9, 10, 0))
    e5 = raise_escalation("bexley-practitioner", "bexley-internal", risk_level="significant_harm",
                          category="need-for-action", now=at(2026, 11, 9, 10, 0))
    travel(at(2026, 11, 10, 9, 0))
    deadlines_sweep(now=at(2026, 11, 10, 9, 0))
    e5.refresh_from_db()
    assert e5.times_auto_advanced == 1 and e5.stage_index == 2
    made["E5"] = e5

    travel(at(2026, 11, 30, 9, 0))
    made["E6"] = raise_escalation("bexley-practitioner", "bexley-internal", category="roles-and-responsibilities",
                                  now=at(2026, 11, 30, 9, 0))
    made["stoke"] = raise_escalation("stoke-crm", "stoke-crm", category="visits-late", now=at(2026, 11, 30, 9, 0))
    travel(NOW)
    return made


@pytest.fixture
def wiltshire_set(raise_escalation, people, travel):
    """The Wiltshire partnership: Puddleducks challenged Wiltshire 6 times (level of need), Wiltshire
    challenged Puddleducks twice (communication); a third member, Wiltshire Police, raised none.

    Puddleducks records 40 staff; Wiltshire records none (its 4 active users count); the police 200.
    Three of Puddleducks' six were resolved: 1, 2 and 3 working days after raising.
    """
    Organisation.objects.filter(slug="puddleducks").update(active_staff=40)
    police = Organisation.objects.create(slug="wiltshire-police", name="Wiltshire Police", kind="police",
                                         active_staff=200)
    Partnership.objects.get(slug="wiltshire-partnership").members.add(police)
    made = []
    travel(at(2026, 11, 2, 10, 0))
    for _ in range(6):
        made.append(raise_escalation("puddleducks-practitioner", "wiltshire-multi-agency", receiving="wiltshire",
                                     category="level-of-need", now=at(2026, 11, 2, 10, 0)))
    for _ in range(2):
        made.append(raise_escalation("wiltshire-social-worker", "wiltshire-multi-agency", receiving="puddleducks",
                                     category="communication", now=at(2026, 11, 2, 10, 0)))
    for days, escalation in zip((1, 2, 3), made[:3], strict=True):
        travel(at(2026, 11, 2 + days, 10, 0))
        escalation = services.escalation_respond(escalation=escalation, actor=escalation.holder, decision="agree",
                                                 rationale="Agreed.")
        _accept(escalation, people, who="puddleducks-practitioner")
    travel(NOW)
    return made
