"""A newcomer signed in as each demo person (CONTRACT sections 4 and 8.8, and everyone else ``seed_demo`` creates)
does that person's part of the procedures through the pages, as a browser would: the sign-in page's own form
(with its CSRF token), the page they land on, the escalation they open from it, and the action form that page
offers, filled in and posted as it stands. The database is read only to check what the pages did.

Each test starts from the seeded demo and is rolled back at its end (``demo_once``).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from escalations.models import Escalation, State, TimelineEntry
from organisations.models import Absence, User
from policies import clock

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_once")]

PASSWORD = "demo-pass-2026"
DETAIL = re.compile(r"^/escalations/(\d+)/$")
SENTENCE = "Read on the case file and discussed with the team this morning."


@dataclass
class Newcomer:
    """One person at a browser: signs in through the sign-in page and works only through pages and forms."""

    username: str
    client: Client = field(default_factory=lambda: Client(enforce_csrf_checks=True))
    landing: str = ""
    landing_html: str = ""

    @property
    def user(self) -> User:
        return User.objects.get(username=self.username)

    def sign_in(self) -> str:
        page = self.client.get(reverse("login"))
        assert page.status_code == 200
        form = BeautifulSoup(page.content, "html.parser").find("input", attrs={"name": "password"}).find_parent("form")
        data = _fields(form, {"username": self.username, "password": PASSWORD})
        response = self.client.post(form.get("action") or reverse("login"), data, follow=True)
        assert response.status_code == 200, (self.username, response.status_code)
        assert response.wsgi_request.user.is_authenticated, f"{self.username} could not sign in"
        self.landing = response.redirect_chain[-1][0] if response.redirect_chain else reverse("login")
        self.landing_html = response.content.decode()
        return self.landing

    def get(self, url: str, *, status: int = 200) -> str:
        response = self.client.get(url)
        assert response.status_code == status, (self.username, url, response.status_code)
        return response.content.decode()

    def listed(self, html: str | None = None) -> list[int]:
        """The escalations a page links to, in its order."""
        soup = BeautifulSoup(html if html is not None else self.landing_html, "html.parser")
        ids: list[int] = []
        for link in soup.find_all("a", href=True):
            match = DETAIL.match(link["href"].split("?")[0].split("#")[0])
            if match and int(match.group(1)) not in ids:
                ids.append(int(match.group(1)))
        return ids

    def offered(self, pk: int) -> set[str]:
        soup = BeautifulSoup(self.get(reverse("escalations:detail", args=[pk])), "html.parser")
        return {tag["data-action"] for tag in soup.find_all("details", attrs={"data-action": True})}

    def find(self, action: str, *, among: list[int] | None = None, pages: tuple[str, ...] = ()) -> int:
        """The first escalation listed on the landing page (then on ``pages``) whose page offers ``action``."""
        candidates = list(among) if among is not None else self.listed()
        for url in pages:
            candidates += [pk for pk in self.listed(self.get(url)) if pk not in candidates]
        for pk in candidates:
            if action in self.offered(pk):
                return pk
        raise AssertionError(f"{self.username}: no escalation on their pages offers {action} (looked at {candidates})")

    def act(self, pk: int, action: str, values: dict[str, object] | None = None) -> TimelineEntry:
        """Fill in and post the action's form on the escalation's page; return the timeline entry it wrote."""
        html = self.get(reverse("escalations:detail", args=[pk]))
        box = BeautifulSoup(html, "html.parser").find(id=f"action-{action}")
        assert box is not None, f"{self.username}: the page of escalation {pk} does not offer {action}"
        form = box.find("form")
        prefixed = {f"{action}-{name}": value for name, value in (values or {}).items()}
        before = TimelineEntry.objects.filter(escalation_id=pk).count()
        response = self.client.post(form["action"], _fields(form, prefixed, fill_text=True))
        assert response.status_code == 302, (self.username, action, response.status_code,
                                             _errors(response.content.decode()))
        assert self.get(response["Location"].split("#")[0])
        entries = TimelineEntry.objects.filter(escalation_id=pk).order_by("pk")
        assert entries.count() > before, f"{self.username}: {action} wrote nothing"
        entry = entries.filter(actor=self.user).last()
        assert entry is not None
        return entry

    def raise_(self, *, ladder: str, risk_level: str = "standard", values: dict[str, object]) -> Escalation:
        """Raise through the pages: the procedure and risk, then the details, as they are asked."""
        start = BeautifulSoup(self.get(reverse("escalations:raise")), "html.parser").find(
            "input", attrs={"name": "risk_level"}).find_parent("form")
        response = self.client.post(reverse("escalations:raise"),
                                    _fields(start, {"ladder": ladder, "risk_level": risk_level}))
        assert response.status_code == 302, _errors(response.content.decode())
        details_url = response["Location"]
        details = BeautifulSoup(self.get(details_url), "html.parser").find(
            "textarea", attrs={"name": "concern"}).find_parent("form")
        response = self.client.post(details.get("action") or details_url,
                                    _fields(details, values, fill_text=True))
        assert response.status_code == 302, (self.username, _errors(response.content.decode()))
        match = re.search(r"/escalations/(\d+)/", response["Location"])
        assert match, response["Location"]
        self.get(response["Location"])
        return Escalation.objects.select_related("holder").get(pk=int(match.group(1)))


def _fields(form, given: dict[str, object], *, fill_text: bool = False) -> dict[str, object]:
    """What a browser sends for the form: its hidden and prefilled fields, the choices already made, and
    ``given`` typed or chosen in; with ``fill_text``, every text area left empty gets a sentence."""
    data: dict[str, object] = {}
    for tag in form.find_all(["input", "select", "textarea"]):
        name = tag.get("name")
        if not name or tag.has_attr("disabled"):
            continue
        kind = tag.get("type", "text") if tag.name == "input" else tag.name
        if kind in ("submit", "button"):
            continue
        if kind in ("checkbox", "radio"):
            if name not in given and tag.has_attr("checked"):
                data[name] = tag.get("value", "on")
            continue
        if kind == "select":
            chosen = tag.find("option", selected=True)
            if chosen is not None and name not in given:
                data[name] = chosen.get("value", "")
            elif name not in given:
                data[name] = ""
            continue
        if kind == "textarea":
            data[name] = tag.get_text().strip() or (SENTENCE if fill_text else "")
            continue
        data[name] = tag.get("value", "")
    data.update(given)
    return data


def _errors(html: str) -> str:
    soup = BeautifulSoup(html, "html.parser")
    summary = soup.find(class_="govuk-error-summary")
    return summary.get_text(" ", strip=True) if summary else html[:300]


def moment(prefix: str, *, days: int = 1, hour: str = "10:00") -> dict[str, object]:
    """A GOV.UK date input and a time, ``days`` ahead of today in London."""
    day = clock.local(timezone.now()).date() + dt.timedelta(days=days)
    return {f"{prefix}_day": day.day, f"{prefix}_month": day.month, f"{prefix}_year": day.year, f"{prefix}_time": hour}


def signed_in(username: str) -> Newcomer:
    person = Newcomer(username)
    person.sign_in()
    return person


def reload(pk: int) -> Escalation:
    return Escalation.objects.select_related("holder", "case", "ladder").get(pk=pk)


def respond(person: Newcomer, *, decision: str = "uphold", pages: tuple[str, ...] = ()) -> Escalation:
    """The holder's part: record a decision, with how outstanding issues will be pursued where it ends it."""
    pk = person.find("respond", pages=pages)
    entry = person.act(pk, "respond", {"decision": decision})
    assert entry.action == "respond"
    esc = reload(pk)
    assert esc.state in (State.RESPONDED, State.RESOLVED) and esc.decision == decision
    return esc


# --- everyone seed_demo creates has a part below --------------------------------------------------------------
PARTS: dict[str, str] = {}


def part(*usernames: str):
    def register(test):
        for username in usernames:
            PARTS[username] = test.__name__
        return test
    return register


def test_every_person_the_demo_creates_has_a_part_here():
    demo_people = set(User.objects.filter(is_active=True).values_list("username", flat=True))
    assert demo_people - set(PARTS) == set(), "a demo person without a walkthrough"


@pytest.mark.parametrize("username", sorted({
    "bexley-practitioner", "bexley-team-manager", "bexley-service-manager", "bexley-head-of-service",
    "bexley-deputy-director", "bexley-director", "bexley-psw", "bexley-legal-adviser", "bexley-org-admin",
    "stoke-crm", "stoke-social-worker", "stoke-team-manager", "stoke-service-manager", "stoke-strategic-manager",
    "stoke-assistant-director", "stoke-director", "stoke-psw",
    "wiltshire-social-worker", "wiltshire-team-manager", "wiltshire-service-manager", "wiltshire-head-of-service",
    "puddleducks-practitioner", "puddleducks-designated-safeguarding-lead", "puddleducks-nursery-manager",
    "puddleducks-owner", "wiltshire-qap-chair", "wiltshire-board-member",
    "bs3-practitioner", "bs3-designated-safeguarding-lead", "bs3-nursery-manager",
    "bristol-social-worker", "bristol-team-manager", "bristol-service-manager", "bristol-head-of-service",
    "bristol-health-practitioner", "bristol-health-safeguarding-lead", "bristol-health-senior-manager",
    "bristol-qap-chair",
}))
def test_each_person_signs_in_on_the_sign_in_page_and_lands_on_something(username):
    person = signed_in(username)
    assert person.landing != reverse("login")
    assert person.listed() or re.search(r'data-figure="[a-z_]+">\s*[1-9]', person.landing_html) or (
        "Escalations raised" in person.landing_html), (username, person.landing)


# --- Bexley (000) -------------------------------------------------------------------------------------------
@part("bexley-practitioner")
def test_the_bexley_practitioner_raises_and_escalates_a_decision_that_was_upheld():
    person = signed_in("bexley-practitioner")
    esc = person.raise_(ladder="bexley-internal", values={
        "category": "need-for-action", "basis": "evidence", "new_reference": "DEMO-BX-1999",
        "new_display_name": "", "decision_challenged": "The decision to close the case.",
        "concern": "New bruising seen at nursery.", "desired_outcome": "A strategy discussion."})
    assert (esc.stage_index, esc.holder.username) == (0, "bexley-team-manager")
    pk = person.find("escalate", pages=(reverse("escalations:mine"),))
    person.act(pk, "escalate", {"reason": "The decision leaves the bruising unexplained."})
    assert reload(pk).stage_index >= 1


@part("bexley-team-manager")
def test_the_bexley_team_manager_responds_and_raises_to_the_service_manager():
    person = signed_in("bexley-team-manager")
    assert person.landing == reverse("escalations:awaiting")
    respond(person, decision="agree")
    esc = person.raise_(ladder="bexley-internal", values={
        "category": "need-for-action", "basis": "professional_judgement", "new_reference": "DEMO-BX-1998",
        "decision_challenged": "The panel's decision.", "concern": "The risk is not addressed.",
        "desired_outcome": "A review."})
    assert esc.holder.username == "bexley-service-manager"  # Bexley 2.1 and 3.3: above the raiser's own level


@part("bexley-service-manager", "bexley-head-of-service")
@pytest.mark.parametrize("username", ["bexley-service-manager", "bexley-head-of-service"])
def test_a_bexley_manager_holding_a_stage_records_a_decision(username):
    person = signed_in(username)
    respond(person, decision="agree")


@part("bexley-deputy-director", "bexley-director")
@pytest.mark.parametrize("username", ["bexley-deputy-director", "bexley-director"])
def test_the_bexley_deputy_director_and_director_decide_with_written_confirmation(username):
    person = signed_in(username)
    pk = person.find("respond")
    person.act(pk, "respond", {"decision": "uphold", "outstanding_actions": "The plan is reviewed in a month."})
    esc = reload(pk)
    assert esc.decision == "uphold"
    if esc.state == State.RESOLVED:
        assert esc.outstanding_actions == "The plan is reviewed in a month."


@part("bexley-psw")
def test_the_bexley_psw_skips_to_the_deputy_director_with_a_reason():
    person = signed_in("bexley-psw")
    assert person.landing == reverse("oversight:psw_overview")
    pk = person.find("skip")
    person.act(pk, "skip", {"to_stage": "3", "reason": "Significant enough for the Deputy Director (4.5)."})
    esc = reload(pk)
    assert (esc.stage_index, esc.holder.username) == (3, "bexley-deputy-director")
    register = person.get(reverse("oversight:systemic_list"))
    assert "Strategy discussion minutes cannot be attached in the case system" in register  # Bexley 4.4


@part("bexley-legal-adviser")
def test_the_bexley_legal_adviser_raises_a_legal_planning_meeting_with_the_team_manager():
    person = signed_in("bexley-legal-adviser")
    esc = person.raise_(ladder="bexley-internal", values={
        "category": "legal-planning-meeting", "basis": "evidence", "new_reference": "DEMO-BX-1997",
        "decision_challenged": "The legal planning meeting's decision.", "concern": "The threshold is met.",
        "desired_outcome": "The decision is reconsidered."})
    assert (esc.stage_index, esc.holder.username, esc.category) == (0, "bexley-team-manager",
                                                                    "legal-planning-meeting")


@part("bexley-org-admin")
def test_the_organisation_s_administrator_opens_administration_and_no_escalation():
    person = signed_in("bexley-org-admin")
    assert person.landing == reverse("administration:home")
    staff = BeautifulSoup(person.landing_html, "html.parser").find("a", href=reverse("administration:people"))
    assert staff is not None and "bexley-practitioner" in person.get(staff["href"])
    any_escalation = Escalation.objects.filter(case__reference__startswith="DEMO-BX-").first()
    person.get(reverse("escalations:detail", args=[any_escalation.pk]), status=404)


# --- Stoke (003) --------------------------------------------------------------------------------------------
@part("stoke-crm")
def test_the_crm_skips_an_informal_dispute_to_the_service_manager_with_a_reason():
    person = signed_in("stoke-crm")
    pk = person.find("skip", pages=(reverse("escalations:mine"),))
    entry = person.act(pk, "skip", {"to_stage": str(reload(pk).stage_index + 1),
                                    "reason": "No progress informally within the week (section 5)."})
    assert entry.action == "skip" and entry.note


@part("stoke-social-worker")
def test_the_allocated_social_worker_acts_at_the_informal_stage():
    person = signed_in("stoke-social-worker")
    assert person.landing == reverse("escalations:on_my_cases")
    pk = person.find("arrange_meeting")
    person.act(pk, "arrange_meeting", moment("meeting", days=1, hour="14:00"))
    esc = reload(pk)
    assert esc.state == State.MEETING_ARRANGED and esc.stage_index == 0
    assert esc.holder.username != "stoke-social-worker"  # acting beside the team manager, not instead
    person.act(pk, "respond", {"decision": "agree", "rationale": "The report is rewritten by Friday."})
    assert reload(pk).state == State.RESPONDED


@part("stoke-team-manager", "stoke-service-manager", "stoke-strategic-manager", "stoke-assistant-director")
@pytest.mark.parametrize("username", ["stoke-team-manager", "stoke-service-manager", "stoke-strategic-manager",
                                      "stoke-assistant-director"])
def test_a_stoke_manager_holding_a_stage_arranges_a_meeting_or_decides(username):
    person = signed_in(username)
    pk = person.find("arrange_meeting")
    person.act(pk, "arrange_meeting", moment("meeting", days=1))
    person.act(pk, "respond", {"decision": "agree"})
    assert reload(pk).state == State.RESPONDED


@part("stoke-director")
def test_the_stoke_director_decides_at_the_last_stage_with_written_confirmation():
    person = signed_in("stoke-director")
    pk = person.find("respond")
    person.act(pk, "respond", {"decision": "uphold", "outstanding_actions": "The service manager audits visits."})
    esc = reload(pk)
    assert esc.state == State.RESOLVED and esc.outstanding_actions == "The service manager audits visits."


@part("stoke-psw")
def test_the_stoke_psw_reads_the_figures_and_the_register_and_adds_advice():
    person = signed_in("stoke-psw")
    assert person.landing == reverse("oversight:psw_overview")
    register = person.get(reverse("oversight:systemic_list"))
    assert "Conference reports shared late with parents" in register
    pk = person.find("add_note")
    entry = person.act(pk, "add_note", {"note": "Advice: meet face to face before the formal stage."})
    assert entry.action == "note"


# --- Wiltshire and Puddleducks (002) ---------------------------------------------------------------------------
@part("wiltshire-social-worker", "wiltshire-service-manager", "wiltshire-head-of-service")
@pytest.mark.parametrize("username", ["wiltshire-social-worker", "wiltshire-service-manager",
                                      "wiltshire-head-of-service"])
def test_a_wiltshire_holder_responds_manager_to_manager(username):
    person = signed_in(username)
    respond(person, decision="uphold")


@part("wiltshire-team-manager")
def test_the_wiltshire_team_manager_away_sees_her_absence_and_who_covers():
    person = signed_in("wiltshire-team-manager")
    absences = person.get(reverse("absences:list") if _has_url("absences:list") else "/absences/")
    absence = Absence.objects.get(person__username="wiltshire-team-manager")
    assert absence.cover.display_name in absences
    assert person.listed(), "she still reads what she held"
    person.get(reverse("escalations:detail", args=[person.listed()[0]]))


@part("puddleducks-practitioner")
def test_the_nursery_practitioner_logs_an_unresolved_case_with_the_board():
    person = signed_in("puddleducks-practitioner")
    pk = person.find("log_with_board", pages=(reverse("escalations:mine"),))
    entry = person.act(pk, "log_with_board", {"kind": "unresolved", "reason": "Steps in section 2 did not resolve it."})
    assert entry.action == "log_with_board" and entry.params.get("kind") == "unresolved"


@part("puddleducks-designated-safeguarding-lead", "puddleducks-nursery-manager")
@pytest.mark.parametrize(("username", "tier_holder"), [
    ("puddleducks-designated-safeguarding-lead", "wiltshire-service-manager"),  # the team manager is away
    ("puddleducks-nursery-manager", "wiltshire-service-manager"),
])
def test_a_nursery_manager_raises_manager_to_manager(username, tier_holder):
    person = signed_in(username)
    esc = person.raise_(ladder="wiltshire-multi-agency", values={
        "receiving_organisation": str(User.objects.get(username="wiltshire-social-worker").organisation_id),
        "category": "level-of-need", "basis": "evidence", "new_reference": f"DEMO-PD-49{len(username)}",
        "decision_challenged": "The referral was declined.", "concern": "The child arrives hungry.",
        "desired_outcome": "An assessment."})
    assert esc.stage_index >= 1 and esc.holder.organisation.slug == "wiltshire"


@part("puddleducks-owner")
def test_the_nursery_owner_reads_the_nursery_s_escalations_and_adds_a_note():
    person = signed_in("puddleducks-owner")
    pk = person.find("add_note")
    person.act(pk, "add_note", {"note": "The nursery's owner has read the chronology."})


@part("wiltshire-qap-chair")
def test_the_wiltshire_qap_chair_ends_the_mediation_with_the_written_agreement():
    person = signed_in("wiltshire-qap-chair")
    assert person.landing == reverse("oversight:board_logged")
    pk = person.find("end_mediation")
    person.act(pk, "end_mediation", {"agreed": "yes", "note": "Both agencies met with the mediator.",
                                     "agreed_outcome": "A joint visit this week.",
                                     "outstanding_actions": "The social worker reports back to the nursery."})
    esc = reload(pk)
    assert esc.state == State.RESOLVED and esc.agreed_outcome == "A joint visit this week."


@part("wiltshire-board-member")
def test_the_board_member_reads_the_report_without_child_data():
    person = signed_in("wiltshire-board-member")
    assert person.landing == reverse("reports:themes")
    for name in Escalation.objects.exclude(case__display_name="").values_list("case__display_name", flat=True):
        assert name not in person.landing_html
    assert "DEMO-" not in person.landing_html and not person.listed()
    person.get(reverse("escalations:detail", args=[Escalation.objects.first().pk]), status=404)


# --- Bristol: BS3 (004) and the resolution panel (001) --------------------------------------------------------
def _panel() -> Escalation:
    return Escalation.objects.filter(panel_members__isnull=False, state=State.MEETING_ARRANGED).distinct().get()


@part("bs3-practitioner")
def test_the_bs3_practitioner_adds_a_representation_for_the_panel():
    person = signed_in("bs3-practitioner")
    pk = person.find("add_note", among=[_panel().pk] if _panel().pk in person.listed(
        person.get(reverse("escalations:mine"))) else None, pages=(reverse("escalations:mine"),))
    entry = person.act(pk, "add_note", {"note": "For the panel: this week's welfare records."})
    assert entry.action == "note"


@part("bs3-nursery-manager", "bristol-health-safeguarding-lead", "bristol-head-of-service")
@pytest.mark.parametrize("username", ["bs3-nursery-manager", "bristol-health-safeguarding-lead",
                                      "bristol-head-of-service"])
def test_a_panel_member_reads_the_panel_and_adds_a_representation(username):
    person = signed_in(username)
    panel = _panel()
    page = person.get(reverse("escalations:detail", args=[panel.pk]))
    assert "Resolution Panel" in page
    entry = person.act(panel.pk, "add_note", {"note": "Before the panel: what my agency knows."})
    assert entry.action == "note"


@part("bs3-designated-safeguarding-lead", "bristol-team-manager", "bristol-service-manager",
      "bristol-health-senior-manager", "bristol-social-worker")
@pytest.mark.parametrize("username", ["bs3-designated-safeguarding-lead", "bristol-team-manager",
                                      "bristol-service-manager", "bristol-health-senior-manager",
                                      "bristol-social-worker"])
def test_a_bristol_holder_decides_in_writing(username):
    person = signed_in(username)
    pk = person.find("respond", pages=(reverse("escalations:awaiting"),))
    person.act(pk, "respond", {"decision": "agree", "outstanding_actions": "Reviewed at the next core group."})
    assert reload(pk).decision == "agree"


@part("bristol-health-practitioner")
def test_the_health_visitor_follows_what_she_raised_and_adds_to_it():
    person = signed_in("bristol-health-practitioner")
    pk = person.find("add_note", pages=(reverse("escalations:mine"),))
    person.act(pk, "add_note", {"note": "The health visitor's contact this week: the child was unwell."})


@part("bristol-qap-chair")
def test_the_panel_chair_records_the_panel_s_decision():
    person = signed_in("bristol-qap-chair")
    panel = _panel()
    pk = person.find("respond", pages=(reverse("escalations:awaiting"),))
    assert pk == panel.pk
    person.act(pk, "respond", {"decision": "agree", "rationale": "The panel heard both agencies.",
                               "outstanding_actions": "A child and family assessment within ten days."})
    esc = reload(pk)
    assert esc.decision == "agree"


@part("admin")
def test_the_platform_account_lands_on_the_django_admin_and_reads_no_escalation():
    person = signed_in("admin")
    assert person.landing == reverse("admin:index")
    person.get(reverse("escalations:detail", args=[Escalation.objects.first().pk]), status=404)


def _has_url(name: str) -> bool:
    from django.urls import NoReverseMatch

    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True
