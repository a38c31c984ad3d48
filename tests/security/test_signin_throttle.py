"""The token endpoint's throttle: by the client's real address (rotating X-Forwarded-For no longer escapes
it), counted in a cache every process shares (files under var/ by default, Redis in production)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def token_rate(monkeypatch):
    from rest_framework.settings import api_settings

    monkeypatch.setitem(api_settings.DEFAULT_THROTTLE_RATES, "token", "3/minute")


def wrong(client, n, **extra):
    return client.post(TOKEN, {"username": f"nobody-{n}", "password": "wrong"}, **extra).status_code


def test_rotating_x_forwarded_for_does_not_escape_the_token_throttle(people, token_rate):
    """The original attack: a new X-Forwarded-For on each request was a new client to the throttle."""
    client = APIClient(REMOTE_ADDR="203.0.113.9")
    codes = [wrong(client, n, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}") for n in range(5)]
    assert codes == [400, 400, 400, 429, 429]


def test_behind_a_trusted_proxy_the_forwarded_client_is_throttled_alone(people, token_rate, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    client = APIClient(REMOTE_ADDR="10.1.2.3")
    assert [wrong(client, n, HTTP_X_FORWARDED_FOR="203.0.113.7") for n in range(4)] == [400, 400, 400, 429]
    # Another person behind the same load balancer is another client.
    assert wrong(client, 9, HTTP_X_FORWARDED_FOR="203.0.113.8") == 400
    # A hop forged in front of the real one is skipped: the proxy appended the address it saw.
    assert wrong(client, 10, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7") == 429


def _count_in_another_process(cache: dict, key: str) -> int:
    """How many requests another Python process sees counted under this throttle key."""
    program = (
        "import json, sys\n"
        "from django.conf import settings\n"
        "settings.configure(CACHES={'default': json.loads(sys.argv[1])})\n"
        "import django; django.setup()\n"
        "from django.core.cache import cache\n"
        "print(len(cache.get(sys.argv[2]) or []))\n"
    )
    result = subprocess.run([sys.executable, "-c", program, json.dumps(cache), key],
                            capture_output=True, text=True, check=True, cwd=ROOT, timeout=60)
    return int(result.stdout.strip())


def _shared_caches(tmp_path):
    caches = [("files", {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                         "LOCATION": str(tmp_path / "cache")})]
    if os.environ.get("REDIS_URL"):
        caches.append(("redis", {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                 "LOCATION": os.environ["REDIS_URL"], "KEY_PREFIX": f"throttle-test-{os.getpid()}"}))
    return caches


def test_the_throttle_counts_in_a_cache_another_process_reads(people, token_rate, settings, tmp_path):
    for name, cache in _shared_caches(tmp_path):
        settings.CACHES = {"default": cache}
        from django.core.cache import cache as default_cache

        default_cache.clear()
        client = APIClient(REMOTE_ADDR="203.0.113.50")
        assert [wrong(client, n) for n in range(2)] == [400, 400], name
        assert _count_in_another_process(cache, "throttle_token_203.0.113.50") == 2, name
        default_cache.clear()


def test_the_settings_choose_a_shared_cache_never_a_per_process_one():
    program = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"

    def backend(**env):
        base = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
        result = subprocess.run(
            [sys.executable, "-c", "import django; django.setup(); " + program],
            env={**base, "DJANGO_SETTINGS_MODULE": "escalation_tracker.settings", **env},
            capture_output=True, text=True, check=True, cwd=ROOT, timeout=60,
        )
        return result.stdout.strip()

    assert backend() == "django.core.cache.backends.filebased.FileBasedCache"
    assert backend(REDIS_URL="redis://127.0.0.1:6379/6") == "django.core.cache.backends.redis.RedisCache"
