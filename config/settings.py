"""Settings for the Bazhong public resource trading platform.

Everything comes from the environment through the small helpers below. With no
environment at all the platform runs on SQLite, the in-memory channel layer and
the local-memory cache (the embedded default used by `make run` and `make test`).
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name, default):
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_secret(name):
    """A secret from NAME, or from the file named by NAME_FILE (Docker/K8s secrets)."""
    if os.environ.get(name):
        return os.environ[name]
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text().strip()
    return ""


# `make run` serves with DEBUG off unless DEBUG=true (scripts/local-env.sh); production sets DEBUG=false.
# The default here stays on so that the test suite and one-off manage.py commands need no environment.
DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) is required when DEBUG is off.")
    # Development only: a key generated once and kept in an ignored local file.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "channels",
    "accounts",
    "ledger",
    "records",
    "trading",
    "evaluation",
    "service",
    "realtime",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "config.middleware.StaticFilesMiddleware",  # WhiteNoise, in both sync and async mode
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.ChineseByDefaultMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

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
                "accounts.context_processors.roles",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # BEGIN IMMEDIATE takes SQLite's write lock at the start of every transaction, so two
    # writers never both read the ledger head and then race to append after it.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 30}
    # An explicit file: the live ASGI server of the browser tests runs in another thread.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env("DATABASE_SYNCHRONOUS_COMMIT"):
    # CI's throwaway test database need not wait for the disk at every commit.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c synchronous_commit={env('DATABASE_SYNCHRONOUS_COMMIT')}"
    )
if env("TEST_DATABASE_NAME"):
    # Several test runs on one machine (or one PostgreSQL server) each need their own test database.
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env("TEST_DATABASE_NAME")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer and cache -----------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # A consumer waits for its next message with a 5-second blocking pop (channels_redis'
            # brpop_timeout); redis-py 8 reads every reply within 5 s by default, so a busy server's
            # late "nothing" killed the consumer with a TimeoutError. Reads get a wider bound.
            # redis-py 8 caps a pool at 100 connections: 1,200 sockets opening or closing at once in one
            # process died with MaxConnectionsError (bench/bench_evaluation_socket.py), leaving dead channels
            # in their groups. One connection per socket at most, with room.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30,
                                  "max_connections": env_int("REDIS_MAX_CONNECTIONS", 2000)}],
                       "prefix": env("CHANNEL_PREFIX", "bzggzy")},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_PREFIX", "bzggzy"),
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Background tasks -------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# The in-memory channel layer only reaches sockets of its own process, so without Redis
# the task worker runs as a thread inside the ASGI process (docs/architecture.md §9).
TASK_WORKER_IN_PROCESS = env_bool("TASK_WORKER_IN_PROCESS", not REDIS_URL)

# --- Auth ---------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "workspace:home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed sign-ins allowed for one account from one address, and from one address over all
# accounts, inside the window (seconds) before refusal.
LOGIN_THROTTLE_LIMIT = env_int("LOGIN_THROTTLE_LIMIT", 5)
LOGIN_THROTTLE_ADDRESS_LIMIT = env_int("LOGIN_THROTTLE_ADDRESS_LIMIT", 50)
LOGIN_THROTTLE_WINDOW = env_int("LOGIN_THROTTLE_WINDOW", 900)
# Password reset by SMS: how long a code lives (seconds) and how many wrong codes it allows.
PASSWORD_RESET_CODE_TTL = env_int("PASSWORD_RESET_CODE_TTL", 600)
PASSWORD_RESET_MAX_ATTEMPTS = env_int("PASSWORD_RESET_MAX_ATTEMPTS", 5)

# --- I18n ---------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media ---------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = None  # never served publicly: every file goes through a permission-checked view
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- Records (PDF) --------------------------------------------------------------
PDF_FONT_PATH = env("PDF_FONT_PATH", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
PKI_DIR = Path(env("PKI_DIR", str(VAR_DIR / "pki")))
# Encrypts the platform's private keys at rest. Required when DEBUG is off; generated for development.
PKI_PASSPHRASE = env_secret("PKI_PASSPHRASE")
if not PKI_PASSPHRASE:
    if not DEBUG:
        raise ImproperlyConfigured("PKI_PASSPHRASE (or PKI_PASSPHRASE_FILE) is required when DEBUG is off.")
    passphrase_file = VAR_DIR / "pki_passphrase"
    if not passphrase_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        passphrase_file.write_text(secrets.token_urlsafe(32))
        passphrase_file.chmod(0o600)
    PKI_PASSPHRASE = passphrase_file.read_text().strip()

# --- API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_SCHEMA_CLASS": "config.openapi.AutoSchema",  # documents auth, ids and error responses
    "DEFAULT_PAGINATION_CLASS": "config.ids.Pagination",  # ?page= checked like every integer parameter
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "config.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Bazhong Public Resource Trading API",
    "DESCRIPTION": "巴中市公共资源交易平台 API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,  # the schema endpoint is not an operation of the API
    "COMPONENT_SPLIT_REQUEST": True,  # write-only fields (a key's PEM) are not promised in responses
    "ENUM_NAME_OVERRIDES": {
        "CriterionKindEnum": ["price", "technical", "commercial"],
        "AmendmentKindEnum": "trading.models.Amendment.Kind",
        "OrganizationKindEnum": "accounts.models.Organization.Kind",
        "TenderStatusEnum": "trading.models.Tender.Status",
        "BidStatusEnum": "trading.models.Bid.Status",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Security ---------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)
# Served over HTTPS (a TLS proxy in front) unless DEBUG is on. `make run` serves plain HTTP on this
# machine with DEBUG off, so it says HTTPS=false (scripts/local-env.sh).
HTTPS = env_bool("HTTPS", not DEBUG)
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_HTTPONLY = True

# Everything goes to the console once, through the root logger. Django's own "django" handlers (a
# DEBUG-only console, mail to ADMINS) are dropped: with DEBUG on they printed every record twice. A 4xx
# (a forbidden or missing page) is logged as one WARNING line, without the traceback of the exception
# that produced it (config/log.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_errors_without_traceback": {"()": "config.log.ClientErrorsWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.request": {"filters": ["client_errors_without_traceback"]},
        "django.channels.server": {"level": "WARNING"},
    },
}

# Notifications (SMS) go through one pluggable backend; the console one prints them.
SMS_BACKEND = env("SMS_BACKEND", "accounts.sms.ConsoleBackend")

# --- Tender dates (trading/rules.py) ---------------------------------------------
# Every date of a tender (documents window, bid deadline, amended deadline) must lie within this many
# days of now, either way: a sane window, checked before any calendar arithmetic (year 9999 overflows it).
TENDER_MAX_HORIZON_DAYS = env_int("TENDER_MAX_HORIZON_DAYS", 730)

# --- Expert draw (docs/architecture.md §10) ---------------------------------------------------
# An expert who accepted a seat for a tenderer sits out that tenderer's draws for this many days
# (a local pool rule against repeated service for one tenderer: the law sets no number).
EXPERT_COOLDOWN_DAYS = env_int("EXPERT_COOLDOWN_DAYS", 90)
# How long a drawn expert has to accept or decline before a replacement is drawn.
DRAW_ANSWER_MINUTES = env_int("DRAW_ANSWER_MINUTES", 30)
# Seconds past the bid deadline the opening waits for bids whose finalize arrived before it and is still
# being checked (trading.actions.bids.finalize_upload, docs/bid-upload.md).
BID_FINALIZE_GRACE = env_int("BID_FINALIZE_GRACE", 60)
# Worker processes that decrypt bids at an opening (trading/opening_parallel.py); 0: one per CPU.
OPENING_PROCESSES = env_int("OPENING_PROCESSES", 0)
# Below this many bytes of bids in all, they are opened in the task's own process (no pool to start).
OPENING_PARALLEL_MIN_BYTES = env_int("OPENING_PARALLEL_MIN_BYTES", 16 * 1024 * 1024)
# HTTP requests one ASGI process serves at once; more wait in turn (config/limits.py). Each holds a database
# connection: keep processes × this, plus the task workers, under the database's max_connections.
ASGI_MAX_CONCURRENT_REQUESTS = env_int("ASGI_MAX_CONCURRENT_REQUESTS", 24)
LEDGER_STH_INTERVAL = env_int("LEDGER_STH_INTERVAL", 60)  # seconds between signed tree heads of the trading log
# The trading log's sequencer (ledger/sequencer.py): the longest wait, in seconds, from an entry's commit to
# its integration (hashed and in the Merkle tree), shown on the console; and how long a number taken by a
# transaction that rolled back holds up the log before it is logged as void (PostgreSQL only).
LEDGER_INTEGRATION_DELAY = float(os.environ.get("LEDGER_INTEGRATION_DELAY", "1.0"))
LEDGER_VOID_GRACE = float(os.environ.get("LEDGER_VOID_GRACE", "5.0"))
# The countdown each stage of an evaluation session starts with (minutes; the host may give another
# on `session.advance`, and more than 1/3 of the committee may extend it: 实施条例 art. 48).
EVALUATION_STAGE_MINUTES = {"check_in": 30, "commitments": 15, "leader": 10, "qualification": 60, "scoring": 120,
                            "review": 30, "ranking": 20, "signing": 20}
# The platform's address as experts reach it: the link in a drawn expert's text message.
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Green channel (绿色通道, issue 12) --------------------------------------------
# The center's own service targets for green-channel projects, in working days after the previous
# milestone (document review within 1 working day of submission instead of 3, …), and those of
# ordinary handling, which the monthly summary measures "days saved" against. Legal periods are
# never shortened: they come from trading.rules alone.
GREEN_CHANNEL_TARGETS = {"document_review": 1, "publication": 0, "opening": 0, "draw": 1, "evaluation": 2,
                         "candidate_publicity": 1, "award": 1}
GREEN_CHANNEL_ORDINARY_TARGETS = {"document_review": 3, "publication": 1, "opening": 0, "draw": 3, "evaluation": 5,
                                  "candidate_publicity": 3, "award": 5}
# A milestone not met with this many working days or fewer left is "at risk".
GREEN_CHANNEL_AT_RISK_DAYS = env_int("GREEN_CHANNEL_AT_RISK_DAYS", 1)

# --- Service efficiency (issue 19, docs/service-efficiency.md) ----------------------------------
# The centers' limits in working days per service step (holiday calendar), and the tighter ones for
# green-channel tenders; a key left out takes the default of service/limits.py.
SERVICE_LIMITS = {"review": 3, "draw": 2, "report": 1, "green_answer": 3, "dissatisfied_answer": 5}
SERVICE_GREEN_LIMITS = {"review": 1, "draw": 1, "report": 0}
# Weights of the quarterly ranking's combined score (service/ranking.py).
SERVICE_RANKING_WEIGHTS = {"on_time": 40, "satisfaction": 30, "days": 20, "remote": 10}

# --- Open data (OCDS 1.1.5, docs/ocds.md) -----------------------------------------------------
# The ocid prefix registered with the Open Contracting Partnership (`ocds-` and six characters). The default
# is a placeholder: register the platform's own before announcing the data, and never change it afterwards
# (every ocid and release id carries it).
OCDS_OCID_PREFIX = env("OCDS_OCID_PREFIX", "ocds-bzggzy")
OCDS_PUBLISHER_NAME = env("OCDS_PUBLISHER_NAME", "巴中市公共资源交易中心")
