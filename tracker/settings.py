"""Settings for the case tracker, read from the environment.

Every value that differs between a laptop and a server comes from an
environment variable; the helpers below refuse values they cannot read
rather than guessing.
"""

import os
import re
from datetime import timedelta
from email.utils import getaddresses
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envbool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}.")


def envlist(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def envint(name, default):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {value!r}.") from None


DEBUG = envbool("DEBUG", False)

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
# Without a key in production, SECRET_KEY stays empty: Django refuses every
# use of it, the web server refuses to start (tracker/wsgi.py) and
# `manage.py check` and runserver report it (cases/checks.py), while
# commands that need no key (makemigrations, migrate) still run.
if not SECRET_KEY and DEBUG:
    SECRET_KEY = _DEV_SECRET_KEY
elif SECRET_KEY and not DEBUG and (SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak for production: use at least 50 random characters."
    )

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    # Per-language copies of the texts editors write (before the admin, as it asks).
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_filters",
    "django_countries",
    "simple_history",
    "nested_admin",
    "django.contrib.sitemaps",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "cases",
]

MIDDLEWARE = [
    # First, so that every answer and every log line carries the request's id.
    "tracker.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Requests over a client's limit on /api/, /export/ and name searches stop
    # here, before any other work (a cached page included).
    "cases.ratelimit.RateLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # A first visit to the English home page goes to the reader's language.
    "cases.languages.FirstVisitLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # ETag/Last-Modified on public pages from the public version; 304s skip the view.
    "cases.caching.PublicCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Records the logged-in user on every history entry made during a request.
    "simple_history.middleware.HistoryRequestMiddleware",
    "cases.twofactor.RequireTwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Axes turns a refused login of a locked-out account into its lockout page; it goes last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tracker.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Overrides of other apps' templates (the admin's base, simple_history's list), found before theirs.
        "DIRS": [BASE_DIR / "tracker" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cases.languages.languages",
                "cases.context_processors.organization",
            ],
        },
    },
]

WSGI_APPLICATION = "tracker.wsgi.application"

# SQLite in the project folder needs no set-up; DATABASE_URL=postgres://...
# switches to PostgreSQL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=envint("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several editors at once on SQLite: readers never wait for a writer
    # (write-ahead log), a transaction takes the write lock when it begins
    # rather than failing with "database is locked" when it first writes,
    # and a writer waits up to SQLITE_BUSY_TIMEOUT_MS for the one before it.
    # Each connection keeps 16 MB of pages (SQLite's default: 2 MB): with
    # the default, a large import kept reading back index pages it had just
    # pushed out (16 MB took 7-20 % off 100,000 rows; 32 MB only 3 % more).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            f"PRAGMA busy_timeout={envint('SQLITE_BUSY_TIMEOUT_MS', 10000)};"
            "PRAGMA cache_size=-16000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# English at the root (/cases/…), Russian under /ru/ and Tajik (Cyrillic)
# under /tg/. The admin follows the language cookie, set only when a reader
# picks a language with the switch, or else the browser's Accept-Language.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ru", "Russian"), ("tg", "Tajik")]
# Editors write case titles and summaries, event descriptions, claims and
# organizations in English (the original, kept in the `_en` columns) and may
# add Russian and Tajik versions; a page in a language that has none shows
# the English with a note (django-modeltranslation, see cases/translation.py).
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# WhiteNoise serves the static files itself. In production they are collected
# first (`manage.py collectstatic --noinput`) under names that carry a hash of
# their content, so browsers may cache them for ever; in development they are
# read straight from the apps.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Stored uploads are served to logged-in staff only (see tracker/urls.py).
MEDIA_URL = "/admin/files/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

# Long work (imports, bulk publishing) runs in a background worker through
# Django's tasks framework (the django-tasks backport): the web request only
# enqueues it. The queue is a table in the same database, worked by
# `manage.py db_worker` (`make run` starts one beside the web server).
# TASKS_BACKEND=immediate runs tasks inside the calling process instead,
# which only suits tests and one-off commands.
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
_task_backend = os.environ.get("TASKS_BACKEND", "database")
if _task_backend not in _TASK_BACKENDS:
    raise ImproperlyConfigured(f"TASKS_BACKEND must be one of {', '.join(_TASK_BACKENDS)}; got {_task_backend!r}.")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[_task_backend]}}

# --- Caching ----------------------------------------------------------------

# CACHE_URL picks the cache pages keep their counts, choice lists and
# rendered copies in: locmem:// (the default: one per process),
# file:///var/cache/tracker (one directory that every worker on this machine
# shares, so a page rendered by one is served by all), or
# redis://host:6379/0 when several servers should share one. Entries are
# keyed by the public version, so a change to anything public makes them
# unreachable at once.
_cache_url = os.environ.get("CACHE_URL", "locmem://")
if _cache_url.startswith(("redis://", "rediss://")):
    _default_cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}
elif _cache_url.startswith("locmem://"):
    _default_cache = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 10_000}}
elif _cache_url.startswith("file:///"):
    _default_cache = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": _cache_url.removeprefix("file://"),
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    }
else:
    raise ImproperlyConfigured(f"CACHE_URL must start with locmem://, file:/// or redis://; got {_cache_url!r}.")
CACHES = {"default": _default_cache}
# How long a cached count or choice list may stay (it is dropped sooner when
# anything public changes), and how long a browser or proxy may keep a public
# page without asking again (0: it revalidates every time, with a cheap 304).
PUBLIC_CACHE_SECONDS = envint("PUBLIC_CACHE_SECONDS", 24 * 60 * 60)
PUBLIC_PAGE_MAX_AGE = envint("PUBLIC_PAGE_MAX_AGE", 0)
# Public pages as rendered for anonymous readers, kept in the same cache under
# the public version: a page is rendered again as soon as anything public
# changes, so an unpublished record is never served from it.
PUBLIC_PAGE_CACHE = envbool("PUBLIC_PAGE_CACHE", True)
# Pages are far smaller; this is room for the export of a search (up to 400
# cases, about 1 KB a CSV row; see cases/exports.py).
PUBLIC_PAGE_CACHE_MAX_BYTES = envint("PUBLIC_PAGE_CACHE_MAX_BYTES", 512 * 1024)

# A case whose status nobody has confirmed for this many days is shown as
# possibly out of date.
STATUS_STALE_AFTER_DAYS = envint("STATUS_STALE_AFTER_DAYS", 180)

# Who keeps the record: named on every page, on the About page and on printed dossiers.
ORGANIZATION_NAME = os.environ.get("ORGANIZATION_NAME", "").strip()
ORGANIZATION_CONTACT = os.environ.get("ORGANIZATION_CONTACT", "").strip()
ORGANIZATION_URL = os.environ.get("ORGANIZATION_URL", "").strip()

# --- Login and sessions ----------------------------------------------------

# Sessions end when the browser closes, and after SESSION_COOKIE_AGE seconds
# at the latest.
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True

# django-axes: after AXES_FAILURE_LIMIT wrong passwords for one account from
# one address, that account is locked for that address for the cool-off time.
AUTHENTICATION_BACKENDS = [
    "tracker.security.AxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 60))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "twofactor/lockout.html"
AXES_CLIENT_IP_CALLABLE = "tracker.security.client_ip_address"
AXES_VERBOSE = False
# Behind a reverse proxy every request comes from the proxy's address; with
# this on, the client's address is the last one the proxy adds to
# X-Forwarded-For. Turn it on only behind a proxy that sets that header.
TRUST_X_FORWARDED_FOR = envbool("TRUST_X_FORWARDED_FOR", False)

# Two-factor login (django-otp): with REQUIRE_2FA on, the admin is reached
# only after a code from an authenticator app (TOTP) or a recovery code.
REQUIRE_2FA = envbool("REQUIRE_2FA", not DEBUG)
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Case tracker")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows a device's secret again

# --- HTTPS and security headers -------------------------------------------

# Behind a proxy that terminates TLS, the proxy tells Django the request was
# https with "X-Forwarded-Proto: https". Turn this on only if the proxy sets
# (and overwrites) that header.
TRUST_X_FORWARDED_PROTO = envbool("TRUST_X_FORWARDED_PROTO", False)
if TRUST_X_FORWARDED_PROTO:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # health checks may come over plain http from the proxy
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    # Asking browsers to preload HSTS is a decision for the domain's owner
    # (it binds every subdomain for a long time), so it is off unless asked
    # for, and `check --deploy` is told that this is on purpose.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): pages load scripts, styles, images
# and forms from this site only, and nothing may frame them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# --- Public JSON API (Django REST framework) -------------------------------

# Read-only and anonymous: JSON only (the browsable API's pages need inline
# scripts, which the Content-Security-Policy forbids); the docs page at
# /api/docs/ loads Swagger UI from our own static files (drf-spectacular-sidecar).
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Rate limits are not DRF's (each worker would count alone): see RATE LIMITS below.
    "DEFAULT_THROTTLE_CLASSES": [],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Case tracker API",
    "DESCRIPTION": "Read-only access to the public cases, people, organizations, sources and events.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge from validator.swagger.io: the docs page contacts no other host.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    # A case's current status and the status an event sets share one list of choices.
    "ENUM_NAME_OVERRIDES": {"StatusEnum": "cases.models.Status"},
    # 400, 404, 429 and 503 documented on every operation; empty parameters allowed.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "cases.api.document_every_answer"],
}

# Uploaded source files and photos larger than this are refused.
MAX_UPLOAD_MB = envint("MAX_UPLOAD_MB", 20)

# --- Logging and error reports ---------------------------------------------

# One line per log record on stderr, where gunicorn, systemd or a container
# runtime collects it: time, level, logger, the request's id (also sent back
# in the X-Request-ID header) and the message. Every answer of 400 or more is
# logged by Django ("Not Found: /x"), a 500 or 503 with its traceback.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "tracker.logs.RequestIdFilter"},
    },
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s request_id=%(request_id)s %(message)s"},
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "filters": ["request_id"],
            "formatter": "line",
        },
        # Mails each server error to ADMINS (nothing when ADMINS is empty).
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["stderr"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["mail_admins"], "level": "INFO"},
        # The development server's own access log keeps Django's format.
        "django.server": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "pikepdf": {"level": "WARNING"},
        # Lockouts are warnings; every successful login need not be a line.
        "axes": {"level": "WARNING"},
    },
}


def envaddresses(name):
    """ADMINS=\"Ana <ana@example.org>, ops@example.org\" as Django's (name, address) pairs."""
    pairs = [(display, address) for display, address in getaddresses([os.environ.get(name, "")]) if address]
    for _, address in pairs:
        if "@" not in address:
            raise ImproperlyConfigured(f"{name} must be e-mail addresses separated by commas; got {address!r}.")
    return [(display or address, address) for display, address in pairs]


# Who receives an e-mail with the traceback of every server error.
ADMINS = envaddresses("ADMINS")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", "root@localhost")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)

# --- Rate limits -----------------------------------------------------------

# Requests one client address may make, as "number/unit" (second, minute,
# hour, day), counted in a cache all workers share. The address is the one
# login lockouts use: behind a proxy, set TRUST_X_FORWARDED_FOR.
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600/minute")
EXPORT_RATE_LIMIT = os.environ.get("EXPORT_RATE_LIMIT", "30/minute")
SEARCH_RATE_LIMIT = os.environ.get("SEARCH_RATE_LIMIT", "120/minute")
for _name in ("API_RATE_LIMIT", "EXPORT_RATE_LIMIT", "SEARCH_RATE_LIMIT"):
    if not re.fullmatch(r"[1-9]\d*/(second|minute|hour|day)", globals()[_name]):
        raise ImproperlyConfigured(f"{_name} must look like 600/minute (second, minute, hour or day); got {globals()[_name]!r}.")

# The counters: a table in the database by default (`migrate` creates it),
# Redis when RATE_LIMIT_REDIS_URL is set (redis://host:6379/0). Kept apart
# from the "default" cache, which pages use.
_redis_url = os.environ.get("RATE_LIMIT_REDIS_URL", "")
CACHES["ratelimit"] = (
    {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _redis_url, "KEY_PREFIX": "tracker-ratelimit"}
    if _redis_url
    else {
        "BACKEND": "cases.ratelimit.SharedCounterCache",
        "LOCATION": "ratelimit_cache",
        # One row per address and window: room for many readers before old rows are culled.
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    }
)
RATELIMIT_USE_CACHE = "ratelimit"
