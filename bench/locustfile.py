"""The load of scripts/cluster: demo people signing in, reading their dashboards and escalations, and acting.

    CLUSTER_PLAN=var/cluster/plan.json locust -f bench/locustfile.py --headless -u 50 -r 10 -t 90s \
        --host http://127.0.0.1:18000 HolderUser BrowserUser

``bench/cluster.py prepare`` writes the plan: for each holder user of the load, escalations of its
own to arrange a meeting on and then record a decision (two users never race for one, so a refusal
is a real failure), and the people who browse. ``IdleUser`` measures the same dashboards one request
at a time, for the idle figures the load is compared with.

People read a page before the next click: each user waits 3 to 10 seconds between tasks (about 8
requests a second from 50 users), a busy morning's pace, not a stress test.

Every request must succeed: locust counts a 4xx or 5xx (after following redirects) as a failure, and
so does a sign-in that lands back on the sign-in page or an action whose form is missing.
"""
from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import re
from collections import Counter
from pathlib import Path

from locust import HttpUser, between, constant, events, task
from locust.clients import HttpSession

PLAN = json.loads(Path(os.environ.get("CLUSTER_PLAN", "var/cluster/plan.json")).read_text())
PASSWORD = "demo-pass-2026"  # every demo account's (demo/services.py)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LINK = re.compile(r'href="(/escalations/\d+/)"')
PSWS = ("bexley-psw", "stoke-psw")

AWAITING = "dashboard: awaiting my response"
MINE = "dashboard: my escalations"
PSW_OVERVIEW = "dashboard: PSW overview"
NOTIFICATIONS = "dashboard: notifications"

_holder_slots = itertools.count()
_browsers = itertools.count()

# Every request of the run and every failure, whatever the statistics show after a reset: added to
# the file CLUSTER_REQUESTS names when locust stops (scripts/cluster runs it twice: idle, then load).
_seen: Counter[str] = Counter()
_failed: Counter[str] = Counter()


@events.request.add_listener
def _count(request_type: str, name: str, exception: BaseException | None = None, **_: object) -> None:
    _seen["requests"] += 1
    if exception is not None:
        _failed[f"{request_type} {name}: {exception}"[:200]] += 1


@events.quitting.add_listener
def _write_counts(**_: object) -> None:
    path = os.environ.get("CLUSTER_REQUESTS")
    if not path:
        return
    before = json.loads(Path(path).read_text()) if Path(path).exists() else {"requests": 0, "failures": 0,
                                                                              "failed": {}}
    failed = Counter(before["failed"]) + _failed
    Path(path).write_text(json.dumps({"requests": before["requests"] + _seen["requests"],
                                      "failures": sum(failed.values()), "failed": dict(failed)}, indent=1))


def sign_in(client: HttpSession, username: str) -> bool:
    """Sign in as a person does (the page, then the form); say whether it worked."""
    page = client.get("/sign-in/", name="sign in page")
    found = CSRF.search(page.text)
    if not page.ok or found is None:
        return False
    with client.post("/sign-in/", data={"username": username, "password": PASSWORD,
                                        "csrfmiddlewaretoken": found.group(1)},
                     name="sign in", catch_response=True) as response:
        # The status, not response.ok: on a connection error .ok raises inside the block and the
        # failure would escape locust's count.
        answered = 0 < (response.status_code or 0) < 400
        if answered and "/sign-in/" in response.url:
            response.failure(f"{username} could not sign in")
        return answered and "/sign-in/" not in response.url


class SignedIn(HttpUser):
    """A person who signs in first, and again before anything else should the first try fail."""

    abstract = True
    username = ""
    signed_in = False

    def on_start(self) -> None:
        self.signed_in = sign_in(self.client, self.username)

    def signed(self) -> bool:
        if not self.signed_in:
            self.signed_in = sign_in(self.client, self.username)
        return self.signed_in


def _form_fields(html: str, action: str) -> dict[str, str] | None:
    """The CSRF token and the escalation's version for ``action``'s form on the escalation page."""
    token = CSRF.search(html)
    version = re.search(rf'name="{action}-version" value="(\d+)"', html)
    if token is None or version is None:
        return None
    return {"csrfmiddlewaretoken": token.group(1), f"{action}-version": version.group(1)}


class HolderUser(SignedIn):
    """A holder: their list of what awaits them, the escalation page, then arrange a meeting and decide."""

    wait_time = between(3, 10)
    weight = 3

    def on_start(self) -> None:
        slot = next(_holder_slots)
        plan = PLAN["slots"][slot % len(PLAN["slots"])]
        self.username = plan["username"]
        # Only the first user of a slot acts on its escalations; any later one reads them.
        self.todo = list(plan["escalations"]) if slot < len(PLAN["slots"]) else []
        self.pages = [e["detail"] for e in plan["escalations"]]
        self.arranged: set[int] = set()
        super().on_start()

    @task(3)
    def awaiting(self) -> None:
        if not self.signed():
            return
        self.client.get("/escalations/awaiting/", name=AWAITING)

    @task(1)
    def notifications(self) -> None:
        if not self.signed():
            return
        self.client.get("/notifications/", name=NOTIFICATIONS)

    @task(2)
    def escalation_page(self) -> None:
        if not self.signed():
            return
        self.client.get(self.pages[len(self.todo) % len(self.pages)], name="escalation page")

    @task(2)
    def act(self) -> None:
        """Arrange a meeting on the next escalation of its own, or record the decision once arranged."""
        if not self.signed():
            return
        if not self.todo:
            self.escalation_page()
            return
        escalation = self.todo[0]
        page = self.client.get(escalation["detail"], name="escalation page")
        if not page.ok:
            return  # counted as a failure already; the action waits for the next turn
        action = "respond" if escalation["id"] in self.arranged else "arrange_meeting"
        fields = _form_fields(page.text, action)
        if fields is None:
            # The form is missing: the escalation is not where this user left it.
            with self.client.get(escalation["detail"], name=f"{action}: form missing",
                                 catch_response=True) as response:
                response.failure(f"no {action} form on escalation {escalation['id']}")
            self.todo.pop(0)
            return
        if action == "arrange_meeting":
            tomorrow = dt.date.today() + dt.timedelta(days=1)
            fields.update({"arrange_meeting-meeting_day": str(tomorrow.day),
                           "arrange_meeting-meeting_month": str(tomorrow.month),
                           "arrange_meeting-meeting_year": str(tomorrow.year),
                           "arrange_meeting-meeting_time": "10:00"})
        else:
            fields.update({"respond-decision": "agree",
                           "respond-rationale": "The new information changes the assessment."})
        with self.client.post(escalation[action], data=fields, name=f"action: {action.replace('_', ' ')}",
                              catch_response=True) as response:
            answered = 0 < (response.status_code or 0) < 400
            if answered and "govuk-notification-banner--success" not in response.text:
                response.failure(f"{action} on escalation {escalation['id']}: no confirmation")
            if not answered:
                return
        if action == "arrange_meeting":
            self.arranged.add(escalation["id"])
        else:
            self.todo.pop(0)


class BrowserUser(SignedIn):
    """A raiser or a PSW: their dashboard, an escalation from it, its written record, the notifications."""

    wait_time = between(3, 10)
    weight = 2

    def on_start(self) -> None:
        self.username = PLAN["browsers"][next(_browsers) % len(PLAN["browsers"])]
        self.is_psw = self.username in PSWS
        self.links: list[str] = []
        super().on_start()

    @task(3)
    def dashboard(self) -> None:
        if not self.signed():
            return
        if self.is_psw:
            page = self.client.get("/escalations/psw-overview/", name=PSW_OVERVIEW)
        else:
            page = self.client.get("/escalations/mine/", name=MINE)
        self.links = LINK.findall(page.text) or self.links

    @task(2)
    def escalation_page(self) -> None:
        if not self.signed():
            return
        if self.links:
            link = self.links[len(self.links) // 2]
            self.client.get(link, name="escalation page")
            self.client.get(f"{link}record/", name="written record")

    @task(1)
    def notifications(self) -> None:
        if not self.signed():
            return
        self.client.get("/notifications/", name=NOTIFICATIONS)


class IdleUser(HttpUser):
    """The idle figures: each dashboard, as each person of the load sees it, one request at a time.

    Signs everyone in first, then makes CLUSTER_IDLE_ROUNDS rounds of every dashboard and stops.
    """

    wait_time = constant(0.2)
    rounds = int(os.environ.get("CLUSTER_IDLE_ROUNDS", "10"))

    def on_start(self) -> None:
        holders = sorted({slot["username"] for slot in PLAN["slots"]})
        self.sessions: list[tuple[str, HttpSession]] = []
        for username in [*holders, *PLAN["browsers"]]:
            session = HttpSession(base_url=self.host, request_event=self.environment.events.request, user=self)
            if not sign_in(session, username) and not sign_in(session, username):
                continue  # counted as a failure; the others are still measured
            self.sessions.append((username, session))
        self.holders = set(holders)

    @task
    def every_dashboard(self) -> None:
        if self.rounds <= 0:
            self.environment.runner.quit()
            return
        self.rounds -= 1
        for username, session in self.sessions:
            if username in self.holders:
                session.get("/escalations/awaiting/", name=AWAITING)
            elif username in PSWS:
                session.get("/escalations/psw-overview/", name=PSW_OVERVIEW)
            else:
                session.get("/escalations/mine/", name=MINE)
            session.get("/notifications/", name=NOTIFICATIONS)
