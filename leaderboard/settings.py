"""Tokenboard settings: one file, configured from the environment (see .env.example)."""

from __future__ import annotations

import os
from pathlib import Path

import environ
import plotly
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

# --- core ---------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
# Only good for DEBUG runs and tests; refused below otherwise.
_DEV_SECRET_KEY = "django-insecure-tokenboard-development-key-do-not-use-in-production"  # noqa: S105 - the known development key, refused when DEBUG is off
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY)
# pytest sets PYTEST_VERSION while it runs; the test suite may use the development key.
if not DEBUG and SECRET_KEY == _DEV_SECRET_KEY and "PYTEST_VERSION" not in os.environ:
    raise ImproperlyConfigured("Set SECRET_KEY: the development key is refused when DEBUG is off.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
ROOT_URLCONF = "leaderboard.urls"
WSGI_APPLICATION = "leaderboard.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

# --- apps and middleware ------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "django_htmx",
    "leaderboard",
    "badges",
    "ingest",
]
# Other apps' one-row version counters (id 1, a `number` that their database triggers move),
# by name: leaderboard.selectors.site.site() fetches them in the one query that every page
# makes, into Site.counters[name], so that an app's cached fragments can key on them without
# a query of their own. Named by "app_label.Model" (apps.get_model), so the leaderboard never
# imports the app. badges: its template tags key standings rows and person pages on it.
SITE_COUNTERS = {"badges": "badges.BadgeVersion"}
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "leaderboard.web.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "leaderboard.web.middleware.RejectUnstorableInput",
    "leaderboard.web.middleware.PresentationMode",
    "leaderboard.web.middleware.ReplicaReads",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

# --- database -----------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A new PostgreSQL connection per request costs ~9 ms of CPU here: keep them open.
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A database that is down or frozen (a lock nobody releases) answers a page with 503
    # within these limits, instead of hanging until gunicorn kills the worker at 30 s.
    # Celery workers replace the statement limit with their own (leaderboard.celery_app).
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5)
    )
    DATABASES["default"]["OPTIONS"]["options"] = (
        f"-c statement_timeout={env.int('DB_STATEMENT_TIMEOUT', default=10_000)}"
    )
# A read replica (PostgreSQL streaming standby) for pages: GETs of the leaderboard's pages
# read from it, everything else from the primary (leaderboard.db.routers). Unset: one database.
if replica_url := env.str("DATABASE_REPLICA_URL", default=""):
    # The primary's limits and timeouts, the replica's address (and its own OPTIONS too).
    replica = env.db_url_config(replica_url)
    DATABASES["replica"] = {
        **DATABASES["default"],
        **replica,
        "OPTIONS": {**DATABASES["default"].get("OPTIONS", {}), **replica.get("OPTIONS", {})},
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["leaderboard.db.routers.ReplicaRouter"]
# A worker's SQL runs longer (a prune of a 90-day backfill), but never forever; a session
# left idle inside a transaction is ended; and a backend whose worker was killed notices the
# dropped connection within the check interval, ending its query and releasing the pull lock.
DB_WORKER_STATEMENT_TIMEOUT = env.int("DB_WORKER_STATEMENT_TIMEOUT", default=600_000)
DB_WORKER_IDLE_IN_TRANSACTION_TIMEOUT = env.int(
    "DB_WORKER_IDLE_IN_TRANSACTION_TIMEOUT", default=60_000
)
DB_WORKER_CONNECTION_CHECK_INTERVAL = env.int("DB_WORKER_CONNECTION_CHECK_INTERVAL", default=5_000)

# Redis carries Celery's queue and the cache (rendered standings rows, keyed by what they
# show, so a stale entry is never read); without it, each process caches in memory.
REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {
    "default": {
        "BACKEND": "leaderboard.cache.Cache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "tokenboard",
    }
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# --- auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "leaderboard.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]


def _oidc_app(provider_id: str) -> dict[str, object]:
    """One OpenID Connect identity provider, from OIDC_<ID>_* variables."""
    prefix = f"OIDC_{provider_id.upper().replace('-', '_')}_"
    app_settings: dict[str, object] = {
        "server_url": env.str(prefix + "SERVER_URL"),
        "oauth_pkce_enabled": True,
    }
    if domains := env.list(prefix + "VERIFIED_EMAIL_DOMAINS", default=[]):
        app_settings["verified_email"] = domains  # e.g. Entra ID sends no email_verified
    if hd := env.str(prefix + "HD", default=""):
        app_settings["auth_params"] = {"hd": hd}  # Google Workspace; the claim is checked too
    # Claims that must match on every login (leaderboard.sso): Google's hd, Entra's tid.
    app_settings["required_claims"] = {
        k: v for k, v in {"hd": hd, "tid": env.str(prefix + "TENANT_ID", default="")}.items() if v
    }
    return {
        "provider_id": provider_id,
        "name": env.str(prefix + "NAME", default=provider_id.title()),
        "client_id": env.str(prefix + "CLIENT_ID"),
        "secret": env.str(prefix + "CLIENT_SECRET"),
        "settings": app_settings,
    }


# Identity providers, e.g. OIDC_PROVIDERS=okta,entra with OIDC_OKTA_SERVER_URL, ... each.
OIDC_PROVIDERS = env.list("OIDC_PROVIDERS", default=[])
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": [_oidc_app(p) for p in OIDC_PROVIDERS]},
}
SAML_ORGANIZATION = env.str("SAML_ORGANIZATION", default="")
if SAML_ORGANIZATION:
    INSTALLED_APPS.append("allauth.socialaccount.providers.saml")
    SOCIALACCOUNT_PROVIDERS["saml"] = {
        "APPS": [
            {
                "client_id": SAML_ORGANIZATION,
                "name": env.str("SAML_NAME", default="Company SAML"),
                "settings": {
                    # The IdP's metadata URL, or its entity id, sign-in URL and certificate.
                    "idp": {"metadata_url": env.str("SAML_METADATA_URL")}
                    if env.str("SAML_METADATA_URL", default="")
                    else {
                        "entity_id": env.str("SAML_IDP_ENTITY_ID"),
                        "sso_url": env.str("SAML_IDP_SSO_URL"),
                        "x509cert": env.str("SAML_IDP_X509CERT"),
                    },
                    "sp": {"entity_id": env.str("SAML_SP_ENTITY_ID", default=SAML_ORGANIZATION)},
                    "attribute_mapping": {
                        "uid": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
                        "nameidentifier",
                        "email": "http://schemas.xmlsoap.org/ws/2005/05/identity/"
                        "claims/emailaddress",
                        "email_verified": "email_verified",
                    },
                    "advanced": {"strict": True, "want_assertion_signed": True},
                },
            }
        ]
    }
SSO_CONFIGURED = bool(OIDC_PROVIDERS or SAML_ORGANIZATION)
# Sign-in is limited to these e-mail domains (checked on every login, new and returning).
ALLOWED_EMAIL_DOMAINS = [d.lower() for d in env.list("ALLOWED_EMAIL_DOMAINS", default=[])]
# Demo mode (pick any demo person to sign in as) exists only for a local DEBUG run without SSO.
DEMO_MODE = DEBUG and not SSO_CONFIGURED
LOGIN_URL = "leaderboard:demo-sign-in" if DEMO_MODE else "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGOUT_REDIRECT_URL = LOGIN_URL
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
# SSO only: no local password login or signup, ever (the demo has its own sign-in page).
SOCIALACCOUNT_ONLY = True
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_EMAIL_REQUIRED = True
SOCIALACCOUNT_AUTO_SIGNUP = True
# A verified address that already has a login signs into that login (and the provider account
# is connected to it): a second provider, a re-created provider account, other letter case.
# leaderboard.sso decides who owns an address; allauth's signup form is closed (urls.py).
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_ADAPTER = "leaderboard.web.sso.CompanySocialAccountAdapter"
# How people appear on boards unless they choose otherwise: name, pseudonym or hidden.
DEFAULT_VISIBILITY: str = env.str("DEFAULT_VISIBILITY", default="name")
# Team pages show no aggregate (totals, charts) for teams smaller than this.
TEAM_MIN_SIZE = env.int("TEAM_MIN_SIZE", default=3)
# Provider accounts with an e-mail create the Person when none exists; turn off to rank only
# people from the directory.
AUTO_CREATE_PEOPLE = env.bool("AUTO_CREATE_PEOPLE", default=True)

# --- templates ----------------------------------------------------------------------------
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "leaderboard.web.context_processors.watermark",
                "leaderboard.web.context_processors.presentation",
                "leaderboard.web.context_processors.cost",
            ],
        },
    }
]

# --- static -------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
# plotly.js is served from the installed plotly package, never a CDN.
STATICFILES_DIRS = [BASE_DIR / "static", ("plotly", Path(plotly.__file__).parent / "package_data")]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

# --- security and CSP ---------------------------------------------------------------------
# Views of boards and people and every export are logged for this many days (then pruned);
# resolve_watermark searches as far back.
VIEW_LOG_DAYS = env.int("VIEW_LOG_DAYS", default=90)
# Everyone signed in sees cost (the demo's and existing deployments' behaviour); off, only
# users with the leaderboard.view_cost permission do (the managers group has it).
COST_VISIBLE_TO_ALL = env.bool("COST_VISIBLE_TO_ALL", default=True)
SECURE_CSP: dict[str, list[str]] = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "frame-ancestors": [CSP.NONE],
    # leaderboard.web.csp adds the identity providers' origins, and only those: sign-in goes there.
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
}
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_PROXY", False) else None
)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=SECURE_HSTS_SECONDS > 0)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
# Provider admin keys are encrypted with this Fernet key (derived from SECRET_KEY if unset).
CREDENTIALS_KEY = env.str("CREDENTIALS_KEY", default="")

# --- Celery -------------------------------------------------------------------------------
# Eager tasks still open a producer on the broker: "memory://" names no host, and kombu
# warned "No hostname was supplied" on every `make run` (seed_demo), so name one.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
# Without a broker, work runs in-process so `make run` needs no Redis.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A publish with Redis down or frozen fails within seconds (leaderboard.outbox keeps the task)
# instead of hanging the pull or request that queues it. The read timeout stays above the
# worker's 1 s BRPOP poll.
CELERY_BROKER_CONNECTION_TIMEOUT = 2.0
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2.0, "socket_timeout": 5.0}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BEAT_SCHEDULE = {
    "queue-due-pulls": {"task": "ingest.queue_due_pulls", "schedule": 300.0},
    # Stored rankings follow every ingest already; this catches a new day or a board edit.
    "rank-boards": {"task": "leaderboard.rank_boards", "schedule": 600.0},
    # The nightly full pass over all history (after each ingest, only changed days are).
    # Follow-ups kept while the broker was down (leaderboard.outbox).
    "flush-outbox": {"task": "leaderboard.flush_outbox", "schedule": 60.0},
    # An admin upload whose message a Redis restart lost is queued again (its file is kept).
    "requeue-stale-uploads": {"task": "ingest.requeue_stale_uploads", "schedule": 600.0},
    # The gaming rules over all history (after each pull, over its days), before badges.
    "gaming-nightly": {"task": "leaderboard.detect_gaming", "schedule": crontab(hour=3, minute=0)},
    "badges-nightly": {"task": "badges.evaluate_changed", "schedule": crontab(hour=3, minute=15)},
    "prune-page-views": {
        "task": "leaderboard.prune_page_views",
        "schedule": crontab(hour=3, minute=45),
    },
}
# A pull re-fetches this many recent days (providers revise them) and, on its first run,
# this many days of history.
INGEST_LOOKBACK_DAYS = env.int("INGEST_LOOKBACK_DAYS", default=3)
INGEST_BACKFILL_DAYS = env.int("INGEST_BACKFILL_DAYS", default=90)
INGEST_HTTP_TIMEOUT = env.float("INGEST_HTTP_TIMEOUT", default=30.0)  # each connect or read
# A whole request, however slowly the provider answers (a byte every few seconds passes
# INGEST_HTTP_TIMEOUT forever).
INGEST_HTTP_TOTAL_TIMEOUT = env.float("INGEST_HTTP_TOTAL_TIMEOUT", default=120.0)
INGEST_MAX_ATTEMPTS = env.int("INGEST_MAX_ATTEMPTS", default=5)
INGEST_MAX_RETRY_WAIT = env.float("INGEST_MAX_RETRY_WAIT", default=60.0)
# A pull that would delete more than this share of its window's facts (ones it did not see)
# holds them for review: a provider that ends its pages early looks just like that.
INGEST_PRUNE_MAX_SHARE = env.float("INGEST_PRUNE_MAX_SHARE", default=0.1)
# Provider requests go only to https:// hosts with public addresses, so an admin key cannot be
# sent to (or the server made to fetch) something on the internal network. On for the test
# suite's stubs on 127.0.0.1 and for local fake providers only.
INGEST_ALLOW_PRIVATE_URLS = env.bool("INGEST_ALLOW_PRIVATE_URLS", default=False)
# In-house services a connection reads (a LiteLLM proxy on the company network), by host
# name: these alone may resolve to private addresses (never loopback or link-local, and
# still over https://).
INGEST_INTERNAL_HOSTS = env.list("INGEST_INTERNAL_HOSTS", default=[])
# The largest usage file the admin takes (it is kept in the database until the worker has
# imported it); larger files go through `manage.py import_usage`, which streams them.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=100 * 1024 * 1024)
# The largest OTLP/HTTP request body the OpenTelemetry receiver reads, before and after
# gzip (the spec recommends 64 MiB; an exporter's batch of counters is kilobytes): larger
# requests are answered 413.
OTLP_MAX_BODY_BYTES = env.int("OTLP_MAX_BODY_BYTES", default=4 * 1024 * 1024)

# --- logging ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "httpx": {"level": "WARNING"},
        # In-process tasks (no broker) would log every run; workers keep the default.
        "celery.app.trace": {"level": "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO"},
    },
}
