"""Headers on every page of the demo: a Content-Security-Policy without 'unsafe-inline', HSTS, no-store on
every answer to a signed-in person, and the rest; HTTPS by default with DEBUG off; `check --deploy` clean."""
import os
import re
import subprocess
import sys
from collections import deque
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
# Signing out ends the walk's session; the platform admin is no demo page; the schema is a download;
# static files hold no case data (and stay cacheable).
NOT_WALKED = re.compile(r"^/(sign-out/|admin/|api/schema/|static/)")
# Each walk stops after this many pages a person (the demo's pages, with their filters and pages).
PAGES_EACH = 120
WALKERS = ("bexley-practitioner", "bexley-psw", "bexley-team-manager", "bexley-org-admin",
           "wiltshire-board-member", "stoke-psw")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|<[^>]+\sstyle\s*=", re.IGNORECASE)
HREF = re.compile(r'href="(/[^"]*)"')


def assert_security_headers(response, path, *, signed_in=True):
    csp = response.get("Content-Security-Policy", "")
    assert "script-src 'self'" in csp and "default-src 'self'" in csp, (path, csp)
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, (path, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, (path, csp)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000"), path
    assert "includeSubDomains" in response["Strict-Transport-Security"], path
    assert response["X-Frame-Options"] == "DENY", path
    assert response["X-Content-Type-Options"] == "nosniff", path
    assert response["Referrer-Policy"] == "same-origin", path
    if signed_in:
        cache_control = response.get("Cache-Control", "")
        assert "no-store" in cache_control and "private" in cache_control, (path, cache_control)


def walk(client, start="/"):
    """GET every page reachable by a link from ``start`` (this server's, once each); yield each answer."""
    queue, seen = deque([start]), {start}
    while queue and len(seen) <= PAGES_EACH:
        path = queue.popleft()
        response = client.get(path, secure=True)
        yield path, response
        if response.status_code in (301, 302) and response["Location"].startswith("/"):
            targets = [response["Location"]]
        elif response.get("Content-Type", "").startswith("text/html"):
            targets = HREF.findall(response.content.decode())
        else:
            targets = []
        for target in targets:
            target = urldefrag(target.replace("&amp;", "&"))[0]
            if target and target not in seen and not NOT_WALKED.match(urlsplit(target).path):
                seen.add(target)
                queue.append(target)


def test_every_page_of_the_demo_answers_with_the_security_headers(demo):
    from organisations.models import User

    walked = 0
    for username in WALKERS:
        client = Client()
        client.force_login(User.objects.get(username=username))
        paths = []
        for path, response in walk(client):
            paths.append(path)
            assert response.status_code < 500, (username, path)
            assert_security_headers(response, f"{username} {path}")
            if response.get("Content-Type", "").startswith("text/html"):
                html = response.content.decode()
                assert not INLINE_SCRIPT.search(html), (username, path, INLINE_SCRIPT.search(html).group(0))
                assert not INLINE_HANDLER.search(html), (username, path)
                assert not INLINE_STYLE.search(html), (username, path, INLINE_STYLE.search(html).group(0))
        # Each walk reached well beyond the home page: lists, escalations, records, reports.
        assert len(paths) >= 8, (username, paths)
        walked += len(paths)
    assert walked >= 100


def test_an_escalations_page_record_and_attachment_are_never_stored(demo):
    from escalations.models import Escalation
    from organisations.models import User

    client = Client()
    client.force_login(User.objects.get(username="bexley-psw"))
    escalation = Escalation.objects.filter(ladder__organisation__slug="bexley").first()
    for path in (f"/escalations/{escalation.pk}/", f"/escalations/{escalation.pk}/record/",
                 f"/api/v1/escalations/{escalation.pk}/", "/api/v1/escalations/", "/api/v1/cases/?reference=x"):
        response = client.get(path, secure=True)
        assert response.status_code == 200, path
        assert_security_headers(response, path)


def test_the_api_answers_no_store_even_without_credentials(people):
    response = Client().get("/api/v1/me/", secure=True)
    assert response.status_code in (401, 403)
    assert "no-store" in response["Cache-Control"]


def test_the_sign_in_page_has_the_policy_and_its_scripts_are_files(people):
    response = Client().get("/sign-in/", secure=True)
    assert_security_headers(response, "/sign-in/", signed_in=False)
    html = response.content.decode()
    assert '<script src="/static/js/js-enabled.js">' in html
    assert '<script type="module" src="/static/js/govuk-init.js">' in html
    # htmx adds an indicator <style> of its own unless told not to (the policy would refuse it).
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false}\'>' in html
    for name in ("js-enabled.js", "govuk-init.js", "print-record.js"):
        assert Client().get(f"/static/js/{name}").status_code == 200, name


def test_no_template_served_as_a_page_holds_inline_script_or_style():
    """The policy would refuse them: every script is a file under static/ (e-mails are not pages)."""
    templates = [path for path in ROOT.glob("**/templates/**/*.html")
                 if ".venv" not in path.parts and "email" not in path.parts]
    assert len(templates) > 40
    for path in templates:
        text = path.read_text()
        assert not INLINE_SCRIPT.search(text), path
        assert not INLINE_HANDLER.search(text), path
        assert not INLINE_STYLE.search(text), path


def test_with_the_redirect_on_plain_http_goes_to_https_but_health_probes_do_not(people, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get("/sign-in/")
    assert response.status_code == 301 and response["Location"] == "https://testserver/sign-in/"
    assert Client().get("/healthz/").status_code == 200


def test_behind_a_tls_proxy_its_x_forwarded_proto_counts_as_https(people, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert Client().get("/sign-in/", HTTP_X_FORWARDED_PROTO="https").status_code == 200
    assert Client().get("/sign-in/", HTTP_X_FORWARDED_PROTO="http").status_code == 301


def test_the_session_and_csrf_cookies_are_secure_and_http_only_in_production(people, settings):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    client = Client()
    page = client.get("/sign-in/", secure=True)
    assert page.cookies["csrftoken"]["secure"]
    response = client.post("/sign-in/", {"username": "bexley-psw", "password": "demo-pass-2026"}, secure=True)
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    assert not session["max-age"]  # it ends with the browser


# --- production settings, in a process of their own ----------------------------------------------------
def production_env(**extra):
    env = {key: value for key, value in os.environ.items()
           if key not in {"DEBUG", "SECURE_SSL_REDIRECT", "SECURE_COOKIES", "BEHIND_TLS_PROXY",
                          "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD", "DJANGO_SETTINGS_MODULE",
                          "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    return {**env, "DEBUG": "0", "ALLOWED_HOSTS": "tracker.example.org",
            "SECRET_KEY": "a-production-like-secret-key-that-is-long-and-random-9f8e7d6c5b4a3f2e1d0c",
            "DJANGO_SETTINGS_MODULE": "escalation_tracker.settings", **extra}


def settings_in_production(names, **extra):
    program = ("import django, json; django.setup(); from django.conf import settings; "
               f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))")
    result = subprocess.run([sys.executable, "-c", program], env=production_env(**extra), cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=True)
    import json

    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_is_clean_with_production_settings():
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            env=production_env(), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_with_debug_off_https_is_on_by_default_and_switched_off_only_by_name():
    names = ["SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS",
             "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_PROXY_SSL_HEADER"]
    assert settings_in_production(names) == {
        "SECURE_SSL_REDIRECT": True, "SESSION_COOKIE_SECURE": True, "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000, "SECURE_HSTS_INCLUDE_SUBDOMAINS": True, "SECURE_PROXY_SSL_HEADER": None,
    }
    plain = settings_in_production(names, SECURE_SSL_REDIRECT="0", SECURE_COOKIES="0")
    assert not plain["SECURE_SSL_REDIRECT"] and not plain["SESSION_COOKIE_SECURE"]
    assert plain["SECURE_HSTS_SECONDS"] == 31536000  # sent only over https anyway
    proxied = settings_in_production(names, BEHIND_TLS_PROXY="1")
    assert proxied["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert proxied["SECURE_SSL_REDIRECT"]
    debug = settings_in_production(names, DEBUG="1")
    assert not debug["SECURE_SSL_REDIRECT"] and debug["SECURE_HSTS_SECONDS"] == 0
