"""The container files (issue 14, item 10): the image runs as an unprivileged user, and docker-compose takes
every secret from the environment and sends e-mail by SMTP, never to the logs through the console backend."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def environments() -> list[tuple[str, str, str]]:
    """Every (service, variable, value) of the compose file's services."""
    return [(name, key, str(value)) for name, service in compose()["services"].items()
            for key, value in (service.get("environment") or {}).items()]


def test_the_image_runs_as_an_unprivileged_user():
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0", "0:0")
    assert re.search(rf"useradd .*--uid (\d+) .*{users[-1]}$", "\n".join(lines), re.MULTILINE)
    # Nothing after the switch to that user runs as root again.
    assert not any(line.startswith("USER ") for line in lines[lines.index(f"USER {users[-1]}") + 1:])


def test_every_password_and_secret_comes_from_the_environment_without_a_default():
    secrets = [(service, key, value) for service, key, value in environments()
               if re.search(r"PASSWORD|SECRET", key) or (key.endswith("_URL") and "@" in value)]
    assert secrets
    for service, key, value in secrets:
        if key.endswith("_URL"):  # a URL with credentials: the password part is a required variable
            assert re.search(r":\$\{[A-Z0-9_]+PASSWORD:\?[^}]+\}@", value), (service, key, value)
        else:
            # Required (``:?``), or optional and empty unless set (``:-`` with nothing after it).
            assert re.fullmatch(r"\$\{[A-Z0-9_]+(:\?[^}]+|:-)\}", value), (service, key, value)
    required = {match for _, _, value in environments() for match in re.findall(r"\$\{([A-Z0-9_]+):\?", value)}
    assert {"POSTGRES_PASSWORD", "REDIS_PASSWORD", "SECRET_KEY", "EMAIL_HOST"} <= required


def test_e_mail_goes_by_smtp_never_to_the_console():
    backends = {value for _, key, value in environments() if key == "EMAIL_BACKEND"}
    assert backends == {"django.core.mail.backends.smtp.EmailBackend"}
    assert not any("console" in value for _, _, value in environments())


def test_without_debug_the_settings_default_to_smtp(monkeypatch):
    import importlib

    import escalation_tracker.settings as settings_module

    monkeypatch.delenv("EMAIL_BACKEND", raising=False)
    monkeypatch.setenv("DEBUG", "0")
    try:
        assert importlib.reload(settings_module).EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
        monkeypatch.setenv("DEBUG", "1")
        assert importlib.reload(settings_module).EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend"
    finally:
        monkeypatch.undo()
        importlib.reload(settings_module)


def test_the_image_serves_its_collected_compressed_static_files_and_a_checkout_its_source_folders(monkeypatch):
    import importlib

    import escalation_tracker.settings as settings_module

    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.index("collectstatic") < dockerfile.index("ENV STATIC_COLLECTED=1")
    try:
        monkeypatch.setenv("STATIC_COLLECTED", "1")
        reloaded = importlib.reload(settings_module)
        assert reloaded.WHITENOISE_USE_FINDERS is False
        assert reloaded.STORAGES["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedStaticFilesStorage"
        monkeypatch.delenv("STATIC_COLLECTED")
        assert importlib.reload(settings_module).WHITENOISE_USE_FINDERS is True
    finally:
        monkeypatch.undo()
        importlib.reload(settings_module)


def test_the_worker_and_beat_print_no_banner_so_every_line_is_json():
    services = compose()["services"]
    for name in ("worker", "beat"):
        assert services[name]["command"].startswith("celery --quiet "), name
