"""Guichet settings, read from the environment (12-factor).

Every setting is listed in docs/configuration.md. Defaults give a working single-machine install:
SQLite in WAL mode under var/, a generated secret key, French first.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# var/ holds everything a running install writes: the SQLite database, the secret key, uploads.
VAR_DIR = Path(env.str("GUICHET_VAR_DIR", default=str(Path.cwd() / "var"))).resolve()


def _secret_key() -> str:
    """The key comes from SECRET_KEY, else from var/secret_key, generated once (never committed)."""
    if value := env.str("SECRET_KEY", default=""):
        return value
    path = VAR_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(50)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value


SECRET_KEY = _secret_key()
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
GUICHET_BASE_URL = env.str("GUICHET_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[GUICHET_BASE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "guichet.core",
    "guichet.accounts",
    "guichet.customers",
    "guichet.cases",
    "guichet.knowledge",
    "guichet.workspace",
    "guichet.channels.email",
    "guichet.surveys",
    "guichet.channels.portal",
    "guichet.sla",
    "guichet.quality",
    "guichet.proximity",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "guichet.config.api.ApiMethodNotAllowedMiddleware",
]

ROOT_URLCONF = "guichet.config.urls"
WSGI_APPLICATION = "guichet.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite under var/ by default; DATABASE_URL=postgres://… for PostgreSQL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'guichet.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so two
    # writers queue on busy_timeout instead of failing with "database is locked" mid-transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: French first, English available; every user-facing string is translatable.
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="fr")
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Paris")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Front-end libraries come from npm (package-lock.json); only their built files are published.
NODE_MODULES = Path(env.str("GUICHET_NODE_MODULES", default=str(Path.cwd() / "node_modules")))
STATICFILES_DIRS = [
    (name, NODE_MODULES / sub)
    for name, sub in (
        ("vendor/htmx", "htmx.org/dist"),
        ("vendor/chartjs", "chart.js/dist"),
    )
    if (NODE_MODULES / sub).is_dir()
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not env.bool("GUICHET_PLAIN_STATIC", default=False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"

# Mail: EMAIL_URL=smtp://host:port (django-environ); console by default, so nothing leaves
# by accident.
GUICHET_SUPPORT_EMAIL = env.str("GUICHET_SUPPORT_EMAIL", default="support@guichet.localhost")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=GUICHET_SUPPORT_EMAIL)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))

# Background tasks: django-tasks, database backend by default (no extra server).
# GUICHET_TASKS_BACKEND=rq switches to RQ on Redis (REDIS_URL); "immediate" runs tasks inline.
_tasks_backend = env.str("GUICHET_TASKS_BACKEND", default="database")
if _tasks_backend == "rq":
    INSTALLED_APPS.append("django_tasks_rq")
    RQ_QUEUES = {"default": {"URL": env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
elif _tasks_backend == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
GUICHET_TASK_MAX_ATTEMPTS = env.int("GUICHET_TASK_MAX_ATTEMPTS", default=5)

# Domain settings.
GUICHET_CASE_PREFIX = env.str("GUICHET_CASE_PREFIX", default="G")
GUICHET_AUTO_ASSIGN = env.bool("GUICHET_AUTO_ASSIGN", default=True)
GUICHET_API_TOKEN_DAYS = env.int("GUICHET_API_TOKEN_DAYS", default=365)
GUICHET_FCR_WINDOW_DAYS = env.int("GUICHET_FCR_WINDOW_DAYS", default=7)

# Customer portal (/portal/): one-time links, reopening delay, anti-spam limits, "talk to a person".
GUICHET_REOPEN_DAYS = env.int("GUICHET_REOPEN_DAYS", default=30)
GUICHET_PORTAL_SIGN_IN_LINK_MINUTES = env.int("GUICHET_PORTAL_SIGN_IN_LINK_MINUTES", default=30)
GUICHET_PORTAL_FOLLOW_LINK_DAYS = env.int("GUICHET_PORTAL_FOLLOW_LINK_DAYS", default=14)
GUICHET_PORTAL_RATE_PER_IP = env.int("GUICHET_PORTAL_RATE_PER_IP", default=10)
GUICHET_PORTAL_RATE_PER_EMAIL = env.int("GUICHET_PORTAL_RATE_PER_EMAIL", default=5)
GUICHET_PORTAL_RATE_WINDOW_MINUTES = env.int("GUICHET_PORTAL_RATE_WINDOW_MINUTES", default=60)
GUICHET_PORTAL_MAX_FILES = env.int("GUICHET_PORTAL_MAX_FILES", default=5)
GUICHET_PORTAL_MAX_FILE_MB = env.int("GUICHET_PORTAL_MAX_FILE_MB", default=10)
GUICHET_PORTAL_PHONE = env.str("GUICHET_PORTAL_PHONE", default="")

# Proximity (advisors, callbacks); see docs/proximity.md.
GUICHET_CALLBACK_SLOT_MINUTES = env.int("GUICHET_CALLBACK_SLOT_MINUTES", default=30)
GUICHET_CALLBACK_LEAD_MINUTES = env.int("GUICHET_CALLBACK_LEAD_MINUTES", default=30)
GUICHET_CALLBACK_DAYS_AHEAD = env.int("GUICHET_CALLBACK_DAYS_AHEAD", default=10)
GUICHET_CALLBACK_REMIND_MINUTES = env.int("GUICHET_CALLBACK_REMIND_MINUTES", default=15)
GUICHET_CALLBACK_MAX_ATTEMPTS = env.int("GUICHET_CALLBACK_MAX_ATTEMPTS", default=3)
GUICHET_CALLBACK_RETRY_MINUTES = env.int("GUICHET_CALLBACK_RETRY_MINUTES", default=120)
GUICHET_CALLBACK_LINK_DAYS = env.int("GUICHET_CALLBACK_LINK_DAYS", default=30)

# Email channel (inbound listener and IMAP polling, threaded replies); see docs/configuration.md.
# A reply to a closed case: "reopen" it, or open a linked "follow_up" case.
GUICHET_EMAIL_CLOSED_CASE_POLICY = env.str("GUICHET_EMAIL_CLOSED_CASE_POLICY", default="reopen")
# Join a case by same sender and same subject within this many hours (0: off).
GUICHET_EMAIL_THREAD_SUBJECT_HOURS = env.int("GUICHET_EMAIL_THREAD_SUBJECT_HOURS", default=0)
GUICHET_EMAIL_MAX_MESSAGE_MB = env.int("GUICHET_EMAIL_MAX_MESSAGE_MB", default=40)
GUICHET_EMAIL_MAX_ATTACHMENT_MB = env.int("GUICHET_EMAIL_MAX_ATTACHMENT_MB", default=25)
# More messages than this from one sender in an hour go to the quarantine (mail storms).
GUICHET_EMAIL_SENDER_LIMIT_PER_HOUR = env.int("GUICHET_EMAIL_SENDER_LIMIT_PER_HOUR", default=60)
GUICHET_EMAIL_POLL_SECONDS = env.int("GUICHET_EMAIL_POLL_SECONDS", default=60)
# Raw bytes of processed/ignored inbound mail are deleted after this many days (0: kept forever).
GUICHET_EMAIL_RAW_RETENTION_DAYS = env.int("GUICHET_EMAIL_RAW_RETENTION_DAYS", default=180)
# The listener parses the next batch of mail in this many helper processes while it writes the
# current one (0: parse in the listener itself).
GUICHET_EMAIL_PARSE_PROCESSES = env.int("GUICHET_EMAIL_PARSE_PROCESSES", default=1)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = GUICHET_BASE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
