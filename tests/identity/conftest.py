"""A real OpenID Connect provider on loopback for the sign-in tests: the npm package oidc-provider, run by
the machine's Node with tests/identity/oidc_provider.mjs, and a browser that signs in through it."""
from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from django.conf import settings
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("oidc_provider.mjs")
ENABLE = "install Node.js 20 or later with npm (e.g. `apt-get install nodejs npm`) to run them"

CLIENT_ID, CLIENT_SECRET = "escalation-tracker", "tracker-secret-for-tests-2026"
# A client whose ID tokens the provider issues for another application.
FOREIGN_CLIENT_ID, FOREIGN_AUDIENCE = "tracker-misissued", "someone-elses-app"
PASSWORD = "provider-pass-2026"
ACCOUNTS = {
    "practitioner": {"email": "bexley-practitioner@example.org", "email_verified": True,
                     "given_name": "Priya", "family_name": "Patel", "preferred_username": "priya.patel"},
    "newcomer": {"email": "new.starter@bexley.example.org", "email_verified": True,
                 "given_name": "Nia", "family_name": "Starter", "preferred_username": "nia.starter"},
    "manager": {"email": "tm@elsewhere.example.org", "email_verified": True,
                "preferred_username": "bexley-team-manager"},
    "unverified": {"email": "bexley-team-manager@example.org", "email_verified": False},
}


@dataclass
class OIDCProvider:
    issuer: str
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _node_modules_ready() -> None:
    """Install the npm packages once (``npm ci`` from package-lock.json), one test process at a time."""
    (ROOT / "var").mkdir(exist_ok=True)
    with open(ROOT / "var" / "npm-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (ROOT / "node_modules" / "oidc-provider" / "package.json").exists():
            return
        npm = shutil.which("npm")
        if npm is None:
            _missing("npm is not installed")
        subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=ROOT, check=True,
                       timeout=600, stdout=subprocess.DEVNULL)


def _missing(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"The single sign-on tests need Node.js, and in CI its absence is a failure: {what}.")
    pytest.skip(f"Single sign-on tests skipped ({what}): {ENABLE}.")


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory) -> OIDCProvider:
    """Start oidc-provider on a free loopback port with the clients and accounts of the tests; stop it after."""
    node = shutil.which("node")
    if node is None:
        _missing("node is not installed")
    _node_modules_ready()
    port = _free_port()
    site = settings.SITE_URL.rstrip("/")
    client = {"redirect_uris": [site + reverse("sign_in_callback")],
              "post_logout_redirect_uris": [site + reverse("login")]}
    config = {
        "port": port,
        "clients": [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **client},
                    {"client_id": FOREIGN_CLIENT_ID, "client_secret": CLIENT_SECRET, **client,
                     "id_token_audience": FOREIGN_AUDIENCE}],
        "accounts": {login: {"password": PASSWORD, "claims": claims} for login, claims in ACCOUNTS.items()},
    }
    folder = tmp_path_factory.mktemp("oidc-provider")
    (folder / "config.json").write_text(json.dumps(config))
    log = open(folder / "provider.log", "w")  # noqa: SIM115 (open for the provider's whole life)
    process = subprocess.Popen([node, str(SCRIPT), str(folder / "config.json")], cwd=ROOT, stdout=log,
                               stderr=subprocess.STDOUT)
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(issuer + "/.well-known/openid-configuration", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("oidc-provider did not start: " + (folder / "provider.log").read_text())
            time.sleep(0.2)
        yield OIDCProvider(issuer=issuer)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


class Browser:
    """One person's browser: Django's test client for this site, a ``requests`` session for the provider
    (its cookies are the provider's session)."""

    def __init__(self, client, provider: OIDCProvider) -> None:
        self.client = client
        self.provider = provider
        self.web = requests.Session()
        self.pages: list[str] = []  # the provider's pages shown on the way

    def through_provider(self, url: str, *, login: str = "", password: str = PASSWORD) -> str:
        """Follow the provider's redirects and forms (its login page, its sign-out question) until it
        sends the browser back to this site; return that path with its query."""
        for _ in range(20):
            if not url.startswith(self.provider.issuer):
                parts = urlsplit(url)
                return parts.path + (f"?{parts.query}" if parts.query else "")
            response = self.web.get(url, allow_redirects=False, timeout=10)
            if response.is_redirect:
                url = urljoin(url, response.headers["Location"])
                continue
            assert response.status_code == 200, response.text
            self.pages.append(response.text)
            action = re.search(r'<form[^>]*action="([^"]+)"', response.text)
            assert action, response.text
            if 'name="password"' in response.text:
                data = {"login": login, "password": password}
            else:  # the provider asks whether to sign out
                data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', response.text))
                data["logout"] = "yes"
            response = self.web.post(urljoin(url, unescape(action[1])), data=data, allow_redirects=False, timeout=10)
            assert response.is_redirect, response.text
            url = urljoin(url, response.headers["Location"])
        raise AssertionError("The provider never sent the browser back")

    def sign_in(self, slug: str, login: str, password: str = PASSWORD):
        """Press “Sign in with <organisation>”, sign in at the provider, and come back: the site's answer."""
        start = self.client.get(reverse("sign_in_organisation", args=[slug]))
        assert start.status_code == 302, start.content
        return self.client.get(self.through_provider(start["Location"], login=login, password=password))


@pytest.fixture
def browser(client, oidc_provider):
    return Browser(client, oidc_provider)
