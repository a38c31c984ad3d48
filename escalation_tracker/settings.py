"""One settings module, driven by the environment (twelve-factor).

Local defaults need nothing installed: SQLite and Celery's filesystem transport under ``var/``.
Production sets DATABASE_URL, REDIS_URL, SECRET_KEY, DEBUG=0, ALLOWED_HOSTS and the e-mail variables.
"""
import datetime as dt
import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    return env_bool_in(os.environ, name, default)


def env_bool_in(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# --- Security -----------------------------------------------------------------------------------
# DEBUG is off unless asked for (DEBUG=1), on scripts/run too: its pages are the site's own.
DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    """Use SECRET_KEY, else a random key kept in var/ so that sessions survive a restart."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# The load balancers whose X-Forwarded-For is believed (core/client.py): addresses or networks.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")

# HTTPS (docs/security.md, "Headers"). On by default whenever DEBUG is off: every http:// request is sent
# to https://, browsers are told to use nothing else for a year (HSTS), and the cookies travel only over
# HTTPS. Behind a proxy that ends TLS, BEHIND_TLS_PROXY=1 believes its X-Forwarded-Proto (the proxy must
# set it on every request, replacing any the client sent). SECURE_SSL_REDIRECT=0 and SECURE_COOKIES=0 are
# for a plain-http installation only (scripts/cluster's HAProxy, a developer's machine). The test run
# (pytest: its client and its live server speak plain http) leaves the redirect and the cookies' Secure
# flag off unless a test asks.
_TESTING = "pytest" in sys.modules
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG and not _TESTING)
# The load balancer's and the container's health probes ask over plain http on the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^readyz/$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and not _TESTING)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Sessions (ASVS V7): signed out after 30 minutes without a request, and 10 hours after signing in
# whatever happens (core.middleware.SessionTimeoutMiddleware); the cookie dies with the browser.
SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_TIMEOUT", str(30 * 60)))  # seconds
SESSION_ABSOLUTE_TIMEOUT = int(os.environ.get("SESSION_ABSOLUTE_TIMEOUT", str(10 * 3600)))  # seconds
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# The Django admin never shows a person's authenticator secret or its QR code, not even to platform staff.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Sign-in lockout (django-axes, ASVS V6): the fifth wrong password for one username from one client
# address (core.client.client_address: X-Forwarded-For only from TRUSTED_PROXIES) locks that pair
# out for 15 minutes, on the sign-in page and the API's token endpoint alike; a success clears the count.
AXES_FAILURE_LIMIT = int(os.environ.get("SIGN_IN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("SIGN_IN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "core.client.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "identity.views.locked_out"
AXES_SENSITIVE_PARAMETERS = ["password", "code"]
AXES_VERBOSE = False

# Content-Security-Policy (django-csp): scripts, styles, fonts and images from this server only, no
# inline script or style, no plugins, no framing, forms posted only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# API tokens (django-rest-knox): stored as hashes, expiring API_TOKEN_HOURS after they are issued, ended
# by signing out, a password change or deactivation. Sent as `Authorization: Token <token>`.
REST_KNOX = {
    "TOKEN_TTL": dt.timedelta(hours=int(os.environ.get("API_TOKEN_HOURS", "10"))),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
    "TOKEN_LIMIT_PER_USER": 10,
}

# Throttles and the lockout share one cache across every process: Redis in production (REDIS_URL), else
# files under var/cache, which every process on this machine shares (never a per-process memory cache).
if os.environ.get("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": os.environ["REDIS_URL"], "KEY_PREFIX": "et"}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(VAR_DIR / "cache")}}

# --- Applications -------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "rules.apps.AutodiscoverRulesConfig",
    "core",
    "organisations",
    "audit",
    "policies",
    "cases",
    "escalations",
    "oversight",
    "deadlines",
    "scim",
    "notifications",
    "webhooks",
    "reports",
    "administration",
    "demo",
    "identity",
]

MIDDLEWARE = [
    # First, so that its duration covers every other middleware and the view.
    "core.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Refusals (403, and the 404 that hides an object) and the admin's changes go to the access log.
    "audit.middleware.AccessAuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Signed out after the idle and absolute timeouts; then the second factor where it is due.
    "core.middleware.SessionTimeoutMiddleware",
    "identity.middleware.SecondFactorMiddleware",
    # Nothing with case data is kept by a browser or a proxy cache.
    "core.middleware.NoStoreMiddleware",
    # Last: it turns a sign-in refused by the lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "escalation_tracker.urls"
WSGI_APPLICATION = "escalation_tracker.wsgi.application"
AUTH_USER_MODEL = "organisations.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# The product's permissions (rules) first; then a password, refused for the people of an organisation that
# turned passwords off; then the organisation's OpenID Connect provider (identity/).
AUTHENTICATION_BACKENDS = [
    # First: a username and address locked out are refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "identity.backends.PasswordBackend",
    "identity.backends.OrganisationOIDCBackend",
]

# --- Single sign-on (OpenID Connect, mozilla-django-oidc) ----------------------------------------
# Each organisation's provider, client and claim are rows (identity.SignOn), not settings; these are
# the parts every provider shares. The redirect URI is SITE_URL + /sign-in/organisation/callback/.
OIDC_AUTHENTICATION_CALLBACK_URL = "sign_in_callback"
OIDC_RP_SCOPES = "openid email profile"
OIDC_USE_PKCE = True
OIDC_TIMEOUT = int(os.environ.get("OIDC_TIMEOUT", "10"))  # seconds for each call to a provider

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "escalation_tracker.context_processors.app",
            ],
        },
    },
]

# Every form renders as GOV.UK Frontend components, from core/templates/govuk/.
FORM_RENDERER = "core.forms.GovukFormRenderer"

# --- Database -----------------------------------------------------------------------------------
# SQLite by default; DATABASE_URL (postgres://...) in production and in CI's second run.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
# PostgreSQL plans joins in the order the ORM writes them (from the escalation outwards) instead of
# searching every order: a list's rows join eight tables, and the search cost 6 to 15 ms a statement,
# more than running it (docs/performance.md, "Planning"). The lists choose their rows by id first
# (core.pagination), so the written order is the right one.
PG_SESSION_OPTIONS = "-c join_collapse_limit=1"
if DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = PG_SESSION_OPTIONS
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A busy timeout lets the web process and the clock's worker share one SQLite file.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# A read replica (DATABASE_REPLICA_URL, e.g. a PostgreSQL streaming standby): the reports read from it
# through core.db.ReplicaRouter; every write and every other read stays on the primary. In tests the
# alias mirrors the primary (same database), so a test can show which connection a query used.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"].setdefault("OPTIONS", {})["options"] = PG_SESSION_OPTIONS
# The alias the reports read from: the replica when there is one.
REPORTS_DATABASE = "replica" if "replica" in DATABASES else "default"
DATABASE_ROUTERS = ["core.db.ReplicaRouter"]
# The aliases /readyz/ checks: each one the product reads from.
READYZ_DATABASES = list(DATABASES)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Passwords ----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # ASVS V6.2: at least 12 characters (a pass phrase), and none of the 20,000 most common passwords.
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- Time and language --------------------------------------------------------------------------
# Stored in UTC; Europe/London at the edges (display and the working-day clock).
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Served straight from the source folders, with no collectstatic to run, unless the files were collected
# (the image does, and sets STATIC_COLLECTED=1): then from STATIC_ROOT, each with its gzip and Brotli copy.
WHITENOISE_USE_FINDERS = os.environ.get("STATIC_COLLECTED", "") != "1"
# Attachments live outside any public path and are served only by a permission-checked view: on the
# local disk under ATTACHMENTS_ROOT by default, or in a private bucket of S3-compatible object storage
# (django-storages) when ATTACHMENTS_S3_BUCKET is set, which every web instance then shares.
ATTACHMENTS_ROOT = Path(os.environ.get("ATTACHMENTS_ROOT", VAR_DIR / "attachments"))


def attachments_storage_from_env(env: Mapping[str, str], *, root: Path) -> dict:
    """The STORAGES entry of the attachments: S3-compatible when ATTACHMENTS_S3_BUCKET is set, else the disk."""
    bucket = env.get("ATTACHMENTS_S3_BUCKET", "")
    if not bucket:
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": None,
                        "file_permissions_mode": 0o640, "directory_permissions_mode": 0o750},
        }
    options = {
        "bucket_name": bucket,
        "location": env.get("ATTACHMENTS_S3_PREFIX", "attachments"),
        # Private objects, never a public URL: the permission-checked view streams each file.
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": False,
        "object_parameters": {"ServerSideEncryption": "AES256"} if env_bool_in(env, "ATTACHMENTS_S3_SSE", True) else {},
    }
    for name, option in (("ATTACHMENTS_S3_ENDPOINT_URL", "endpoint_url"), ("ATTACHMENTS_S3_REGION", "region_name"),
                         ("ATTACHMENTS_S3_ACCESS_KEY_ID", "access_key"),
                         ("ATTACHMENTS_S3_SECRET_ACCESS_KEY", "secret_key")):
        if env.get(name):
            options[option] = env[name]
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    "attachments": attachments_storage_from_env(os.environ, root=ATTACHMENTS_ROOT),
}
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = ATTACHMENT_MAX_BYTES + 1024 * 1024

# --- E-mail -------------------------------------------------------------------------------------
# E-mails carry case references, so they never go through the logs or the process's output: with DEBUG on
# they are files under var/mail/ (scripts/run asks for the same with DEBUG off); otherwise SMTP, configured
# by the variables below. The console backend is refused when DEBUG is off (check audit.E001).
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Escalation Tracker <no-reply@escalation-tracker.local>")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# --- Outbound webhooks (webhooks/, docs/webhooks.md) ----------------------------------------------
# How long one try waits for a case-management system to answer before it counts as failed and is retried.
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))

# --- Celery -------------------------------------------------------------------------------------
# REDIS_URL in production; otherwise kombu's filesystem transport under var/, so the clock ticks
# on a newcomer's machine with nothing installed.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_FS_DIR = VAR_DIR / "celery"
# How often beat sweeps for missed deadlines, in seconds (a row in the admin once seeded).
DEADLINE_SWEEP_SECONDS = int(os.environ.get("DEADLINE_SWEEP_SECONDS", "60"))
# A message taken by a worker that then dies (SIGKILL, a lost machine) goes back to the queue after
# this many seconds: one sweep interval by default (docs/deployment.md, "A worker that dies"). Every
# task is safe to run twice, and no task waits longer than this for a retry (a countdown longer
# than the timeout would be handed out again while it waits).
CELERY_VISIBILITY_TIMEOUT = int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", str(DEADLINE_SWEEP_SECONDS)))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        # Look for such messages six times a timeout (every 10 s by default; kombu's own default looks
        # every 100 s), so that one comes back within the timeout and a tenth, not a minute and a half late.
        "unacked_restore_interval": max(1, CELERY_VISIBILITY_TIMEOUT // 6),
        "unacked_restore_throttle": 1,
    }
else:
    for sub in ("out", "processed", "control"):
        (CELERY_FS_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FS_DIR / "out"),
        "data_folder_out": str(CELERY_FS_DIR / "out"),
        "processed_folder": str(CELERY_FS_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(CELERY_FS_DIR / "control"),
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# A task is acknowledged when it ends, not when it starts, and a task whose worker process was lost
# mid-run goes back to the queue: the clock's sweeps and the e-mails are re-run, never lost.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Holders are reminded on the morning a deadline falls (08:00) and again this many hours before it.
DEADLINE_REMINDER_HOURS = int(os.environ.get("DEADLINE_REMINDER_HOURS", "4"))
# The queue the worker reads and beat sends to; a separate name keeps two installations (or a test
# run) that share one Redis from taking each other's tasks.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- REST API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: the first class names the scheme of a 401's WWW-Authenticate header, so that a request
    # without credentials is answered 401 (session authentication alone has no scheme, and answers 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": os.environ.get("API_RATE_USER", "1000/hour"),
        "token": os.environ.get("API_RATE_TOKEN", "20/minute"),
        # Per service token of a case-management system (identity.service_token_auth), whatever its address.
        "service_token": os.environ.get("API_RATE_SERVICE_TOKEN", "1000/hour"),
    },
    # The services' refusals answer 400 / 403 / 409; every error is {field: [reasons]} or {detail}.
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # Bodies are JSON: strict types (a number is not text, "true" is not a boolean) need a typed format.
    # Bounded in length and depth (core.parsers.JSONParser): an over-deep or over-long body answers 400.
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# A refused CSRF check answers JSON under /api/ (the API's 403), the site's page elsewhere.
CSRF_FAILURE_VIEW = "core.api.csrf_failure"
SPECTACULAR_SETTINGS = {
    "TITLE": "Escalation Tracker API",
    "DESCRIPTION": "Raise, follow and resolve professional disagreements about children's safeguarding decisions.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request and response bodies are separate components (an input is never mistaken for an output).
    "COMPONENT_SPLIT_REQUEST": True,
    # The documentation pages load Swagger UI and Redoc from this server, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.forbid_unknown_fields",
    ],
}

# The sign-in page lists the demo accounts (set by the run command, never in production).
SHOW_DEMO_LOGINS = env_bool("SHOW_DEMO_LOGINS", False)

# --- Reports ------------------------------------------------------------------------------------
# Counts below this are shown as "fewer than N" to board users (anonymity of small groups).
REPORT_SMALL_COUNT_THRESHOLD = int(os.environ.get("REPORT_SMALL_COUNT_THRESHOLD", "5"))

# --- Webhooks (administrator's endpoints) -------------------------------------------------------
# An endpoint's URL must be https, except on this machine (loopback). On: plain http to any host is
# accepted too, for a demo whose receiver runs in another container; never in production.
WEBHOOKS_ALLOW_HTTP = env_bool("WEBHOOKS_ALLOW_HTTP", False)
# Off (production): events go only to addresses on the internet. An endpoint on this machine, a private
# network (10/8, 172.16/12, 192.168/16, fc00::/7) or a link-local one (169.254/16: a cloud's metadata
# service) is refused when it is saved and, after the name is resolved, when each event is sent, so that
# an administrator cannot make the server call into the network it runs in. On: the local demo
# (scripts/run, whose example receiver is on this machine) and the tests' loopback receivers.
WEBHOOKS_ALLOW_PRIVATE_NETWORK = env_bool("WEBHOOKS_ALLOW_PRIVATE_NETWORK", DEBUG or _TESTING)

# --- Logging ------------------------------------------------------------------------------------
# LOG_FORMAT=json: one JSON object a line (web requests: method, path, status, duration, user id; the
# Celery tasks: name, id, state, duration), for a log collector. Plain text by default, for a person.
# A request's line names the person by id only: never a child's name, never the query string.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain").strip().lower()
if LOG_FORMAT not in {"plain", "json"}:
    raise ValueError(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "core.logging.JsonFormatter"},
    },
    "filters": {"probe_answers": {"()": "core.logging.ProbeAnswerFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # A probe's 503 is logged by the probe itself, as a warning naming what is missing.
        "django.request": {"filters": ["probe_answers"]},
        # The request log replaces Django's own line per request (and its 4xx/5xx warnings' repeats).
        "django.server": {"level": "WARNING"},
    },
}
# The worker and beat keep this configuration instead of Celery's own (one format for every process).
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
