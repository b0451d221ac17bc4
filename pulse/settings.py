"""Pulse settings. Every value comes from the environment with a working local default;
production (PULSE_ENV=production) has no default for its secrets and refuses to start without them.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from pulse import local_secrets

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

PULSE_ENV = env("PULSE_ENV", default="local")
if PULSE_ENV not in ("local", "production"):
    raise ImproperlyConfigured("PULSE_ENV must be 'local' or 'production'.")
PRODUCTION = PULSE_ENV == "production"

# Local state (SQLite file, embedded Qdrant, embedded broker, generated keys) lives here.
VAR_DIR = Path(env("PULSE_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# Off unless asked for (DEBUG=1), locally too: a user of `make run` gets Pulse's error pages,
# never a stack trace with settings in it.
DEBUG = env.bool("DEBUG", default=False)

if PRODUCTION:
    SECRET_KEY = env("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # HTTPS only: plain http is redirected (the probes excepted: in-cluster checks speak http), and
    # browsers are told to stay on https. Start HSTS short; raise it once https is proven.
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)  # a one-way door: opt in
else:
    SECRET_KEY = env("SECRET_KEY", default="") or local_secrets.django_secret_key(VAR_DIR)
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Fernet keys for secrets at rest, newest first. Rotating: prepend a new key, run
# `manage.py rotate_encryption_keys`, then drop the old key.
_keys = env.list("PULSE_ENCRYPTION_KEYS", default=[])
if not _keys:
    if PRODUCTION:
        raise ImproperlyConfigured("PULSE_ENCRYPTION_KEYS is required in production.")
    _keys = local_secrets.encryption_keys(VAR_DIR)
PULSE_ENCRYPTION_KEYS = _keys

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "pulse.core",
    "ai",
    "etl",
    "analytics",
    "hub",
]

MIDDLEWARE = [
    "pulse.core.middleware.RequestContextMiddleware",  # first: a request id and latency for everything
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "pulse.core.middleware.TenantContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it turns a lockout into the response
]

# Brute force: django-axes locks an account after repeated failures from anywhere, and an address
# after repeated failures on any accounts (the admin, /accounts/login/ and the token endpoint all
# go through authenticate()). The client's address is what the outermost trusted proxy saw:
# PULSE_TRUSTED_PROXY_COUNT proxies in front (0: none, REMOTE_ADDR); whatever a client writes into
# X-Forwarded-For left of that is never read. DRF's throttles use the same count.
PULSE_TRUSTED_PROXY_COUNT = env.int("PULSE_TRUSTED_PROXY_COUNT", default=0)
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("PULSE_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("PULSE_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one alone locks
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "pulse.core.net.client_ip"
AXES_LOCKOUT_CALLABLE = "pulse.core.net.lockout_response"

ROOT_URLCONF = "pulse.urls"
WSGI_APPLICATION = "pulse.wsgi.application"
ASGI_APPLICATION = "pulse.asgi.application"

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
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'pulse.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share the file: WAL lets readers run beside a writer, IMMEDIATE
    # takes the write lock up front (no upgrade deadlocks) and the timeout waits for it.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "hub:dashboard"  # the delivery dashboard is where a user lands
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Locally, WhiteNoise serves straight from the app and project static folders (no collectstatic).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "pulse.core.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["pulse.core.api.permissions.IsTenantMember"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "pulse.core.api.exceptions.exception_handler",
    # JSON only, depth-checked before parsing (pulse/core/jsonlimits.py).
    "DEFAULT_PARSER_CLASSES": ["pulse.core.api.parsers.BoundedJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_RATES": {"anon": env("API_ANON_THROTTLE", default="60/min")},
    "NUM_PROXIES": PULSE_TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pulse API",
    "DESCRIPTION": "Self-hosted AI layer for engineering analytics. Every call is scoped to the caller's tenant.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation documents the errors Pulse answers (400, 401/403, 404, 413, 429, ...).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "pulse.core.api.schema.add_error_responses",
    ],
}

# Shared state between processes (provider cooldowns, throttles). Local mode: a cache folder
# under var/ that web and worker both see; production: CACHE_URL, e.g. redis://redis:6379/2.
CACHES = {"default": env.cache("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}

# Celery. With no CELERY_BROKER_URL, local mode uses kombu's filesystem transport under var/
# (no service needed); production refuses to start rather than silently running tasks eagerly.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
if not CELERY_BROKER_URL:
    if PRODUCTION:
        raise ImproperlyConfigured("CELERY_BROKER_URL is required in production.")
    _queue_dir = VAR_DIR / "broker" / "queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "broker" / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        # Broadcast (pidbox) exchanges; kombu's default is ./control, in whatever folder the process runs.
        "control_folder": str(VAR_DIR / "broker" / "control"),
        "store_processed": False,
        "polling_interval": 0.2,
    }
    _default_results = f"file://{VAR_DIR / 'celery-results'}"
    (VAR_DIR / "celery-results").mkdir(parents=True, exist_ok=True)
else:
    _default_results = CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else ""
# A web request that sends a task gives up within this many seconds when the broker is down (then
# a 503), instead of Celery's unbounded default; the worker and beat reconnect on their own.
PULSE_BROKER_TIMEOUT = env.float("PULSE_BROKER_TIMEOUT", default=2.0)
if CELERY_BROKER_URL.startswith("redis"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": PULSE_BROKER_TIMEOUT,
        "socket_timeout": PULSE_BROKER_TIMEOUT,
    }
    CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = PULSE_BROKER_TIMEOUT
    CELERY_REDIS_SOCKET_TIMEOUT = PULSE_BROKER_TIMEOUT
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 0}
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=_default_results) or None
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=30 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=35 * 60)
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Synced into django-celery-beat's tables at start, where the admin can change them.
CELERY_BEAT_SCHEDULE = {
    "backfill-pickup": {"task": "ai.backfill_pickup_task", "schedule": 60.0},
    "task-ownership-prune": {"task": "pulse.core.task_ownership_prune_task", "schedule": 24 * 3600.0},
    # Delivery metrics follow each sync (tenants whose data changed), insights come daily.
    "delivery-refresh": {"task": "analytics.delivery_refresh_task", "schedule": 600.0},
    "insights-daily": {"task": "analytics.insights_daily_task", "schedule": crontab(hour=6, minute=0)},
}
# A running backfill whose heartbeat is older than this is taken to have lost its worker.
BACKFILL_STALE_SECONDS = env.int("BACKFILL_STALE_SECONDS", default=120)
# Alerts (shown in the hub, optionally POSTed to a tenant's webhook): a backfill that made no
# progress for this long, or waited this long for a worker, is stuck; a budget past this share warns.
PULSE_ALERT_BACKFILL_STUCK_MINUTES = env.int("PULSE_ALERT_BACKFILL_STUCK_MINUTES", default=15)
PULSE_ALERT_BUDGET_PERCENT = env.int("PULSE_ALERT_BUDGET_PERCENT", default=80)
# Folders a tenant admin may register as local git sources (os.pathsep-separated). Unset: any
# folder in local mode, none in production.
PULSE_GIT_ROOTS = [p for p in env("PULSE_GIT_ROOTS", default="").split(os.pathsep) if p]
CELERY_TIMEZONE = TIME_ZONE

# Outbound calls to URLs tenants enter (AI providers, Jira, GitHub) may not reach loopback, private,
# link-local or metadata addresses (pulse/core/outbound.py), except `host:port` entries listed
# here (a model server on the private network). Local mode allows loopback by default, for a
# llama.cpp or Ollama server on the same machine.
PULSE_OUTBOUND_ALLOWLIST = env.list("PULSE_OUTBOUND_ALLOWLIST", default=[])
PULSE_OUTBOUND_ALLOW_LOOPBACK = env.bool("PULSE_OUTBOUND_ALLOW_LOOPBACK", default=not PRODUCTION)

# Vector store. QDRANT_URL selects a Qdrant server (production); otherwise qdrant-client's
# embedded mode keeps its files in QDRANT_PATH.
VECTOR_STORE = env("VECTOR_STORE", default="qdrant")
QDRANT_URL = env("QDRANT_URL", default="")
QDRANT_API_KEY = env("QDRANT_API_KEY", default="")
QDRANT_PATH = env("QDRANT_PATH", default=str(VAR_DIR / "qdrant"))

# The local embedding model's runtime (a provider row's `local_backend` overrides it): torch, onnx
# or onnx-int8 (exported from the packaged model into var/models; bench/README.md has the measured
# speed and quality), and its intra-op threads per process.
PULSE_LOCAL_BACKEND = env("PULSE_LOCAL_BACKEND", default="torch")
PULSE_LOCAL_THREADS = env.int("PULSE_LOCAL_THREADS", default=1)
# One process holds the local models for all the others (`manage.py serve_embeddings`; `make run` and
# docker-compose.yml start it): unix:///path (or a bare absolute path) or tcp://host:port. Empty: each
# process that embeds loads its own model. TCP requests carry the token; a request's texts are capped
# at PULSE_EMBEDDING_SERVER_MAX_BYTES (callers split larger batches).
PULSE_EMBEDDING_SERVER = env("PULSE_EMBEDDING_SERVER", default="")
PULSE_EMBEDDING_SERVER_TOKEN = env("PULSE_EMBEDDING_SERVER_TOKEN", default="")
PULSE_EMBEDDING_SERVER_MAX_BYTES = env.int("PULSE_EMBEDDING_SERVER_MAX_BYTES", default=8 * 1024 * 1024)
# Where serve_embeddings listens when no address is given (and where `make run` starts it).
PULSE_EMBEDDING_SOCKET = VAR_DIR / "embeddings.sock"

# Search by meaning hides results less similar than this (cosine): an unrelated question gets "nothing
# close" rather than the least bad records. 0.25 keeps MiniLM's related hits (0.3 and up) and drops noise.
PULSE_SEARCH_MIN_SIMILARITY = env.float("PULSE_SEARCH_MIN_SIMILARITY", default=0.25)

# A web request waits at most this long for AI providers, retries and fallbacks included (the
# image's gunicorn kills a worker at 60 s); longer work runs on the Celery worker.
AI_REQUEST_MAX_SECONDS = env.float("AI_REQUEST_MAX_SECONDS", default=20.0)

# The Q&A agent reuses an answer for a question whose embedding is at least this close (cosine) to a
# cached one, for the same data, context and settings (bench/qa.py measures hits and wrong hits).
QA_SEMANTIC_CACHE_THRESHOLD = env.float("QA_SEMANTIC_CACHE_THRESHOLD", default=0.9)

# The text-to-SQL agent (analytics/sql): the PostgreSQL role its queries run as (NOLOGIN, SELECT on
# the semantic-layer views only), the caps on one query, and how close (cosine) a question must be to
# a question/SQL pair for the pair to answer it without a model.
PULSE_SQL_ROLE = env("PULSE_SQL_ROLE", default="pulse_sql_reader")
PULSE_SQL_MAX_ROWS = env.int("PULSE_SQL_MAX_ROWS", default=500)
PULSE_SQL_MAX_BYTES = env.int("PULSE_SQL_MAX_BYTES", default=1_000_000)
PULSE_SQL_TIMEOUT_MS = env.int("PULSE_SQL_TIMEOUT_MS", default=5000)
PULSE_SQL_PAIR_THRESHOLD = env.float("PULSE_SQL_PAIR_THRESHOLD", default=0.8)

# Readiness probes give up quickly so /readyz answers even when a dependency hangs.
READINESS_TIMEOUT_SECONDS = env.float("READINESS_TIMEOUT_SECONDS", default=2.0)

# Logs: `plain` (readable, the local default) or `json` (one object per line, the production
# default). Every line carries the request id and tenant id, in Celery tasks too (pulse/core/logs.py).
PULSE_LOG_FORMAT = env("PULSE_LOG_FORMAT", default="json" if PRODUCTION else "plain")
if PULSE_LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured("PULSE_LOG_FORMAT must be 'plain' or 'json'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "pulse.core.logs.ContextFilter"}},
    "formatters": {
        "plain": {"()": "pulse.core.logs.PlainFormatter"},
        "json": {"()": "pulse.core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": PULSE_LOG_FORMAT, "filters": ["context"]},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # httpx logs every request URL at INFO; some vendors put API keys in the query string.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}
# Workers log through the configuration above (its format and context), not Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Prometheus metrics at /metrics (pulse/core/metrics.py). Who may read them: a bearer token, or a
# client address in these networks (locally: loopback). Neither set in production: nobody.
PULSE_METRICS_TOKEN = env("PULSE_METRICS_TOKEN", default="")
PULSE_METRICS_ALLOWED_NETWORKS = env.list(
    "PULSE_METRICS_ALLOWED_NETWORKS", default=[] if PRODUCTION else ["127.0.0.0/8", "::1/128"]
)
# Tenant slugs as a label of the tenant-aware metrics: off unless the tenant count is small.
PULSE_METRICS_TENANT_LABELS = env.bool("PULSE_METRICS_TENANT_LABELS", default=False)
# Every process writes its metrics here and /metrics sums them (gunicorn workers, Celery children).
# Locally a folder under var/ (emptied by `make run`); the image sets /tmp/pulse-metrics.
PROMETHEUS_MULTIPROC_DIR = env("PROMETHEUS_MULTIPROC_DIR", default="" if PRODUCTION else str(VAR_DIR / "metrics"))
if PROMETHEUS_MULTIPROC_DIR:
    Path(PROMETHEUS_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = PROMETHEUS_MULTIPROC_DIR  # read by prometheus_client
# A worker's own metrics endpoint (its prefork children summed), for deployments where the worker
# shares no metrics folder with the web: `celery worker` serves them on this port when set.
PULSE_WORKER_METRICS_PORT = env.int("PULSE_WORKER_METRICS_PORT", default=0)
