"""Django settings for the BEDROT warehouse. Every value comes from the environment (see `.env.example`)."""

import importlib.util
import ipaddress
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from bedrot_site.env import BASE_DIR, SECRET_KEY_HINT, env, secret_key_weak

DEBUG = env.bool("DJANGO_DEBUG", default=False)


def _required(name: str) -> str:
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(f"Set the {name} environment variable (required when DJANGO_DEBUG is false).")
    return value


if DEBUG:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="django-insecure-local-development-only")
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
else:
    SECRET_KEY = _required("DJANGO_SECRET_KEY")
    if secret_key_weak(SECRET_KEY):
        raise ImproperlyConfigured(
            f"DJANGO_SECRET_KEY is not a real secret: use at least 50 random characters ({SECRET_KEY_HINT})."
        )
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
    if not ALLOWED_HOSTS:
        _required("DJANGO_ALLOWED_HOSTS")

INSTALLED_APPS = [
    "daphne",  # first, so `runserver` serves ASGI (HTTP + websocket)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "corsheaders",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "warehouse",
    "etl",
    "api",
    "realtime",
    "statements",
    "dashboard",
]

MIDDLEWARE = [
    "bedrot_site.middleware.ContentSecurityPolicyMiddleware",  # outermost: static files (WhiteNoise) get it too
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "bedrot_site.middleware.AdminLoginThrottleMiddleware",
    "bedrot_site.middleware.DatabaseBusyMiddleware",  # 503 + Retry-After when a load holds the write lock
]

ROOT_URLCONF = "bedrot_site.urls"
ASGI_APPLICATION = "bedrot_site.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

# --- Database -------------------------------------------------------------------------------------------------
# SQLite by default (one file, WAL). DATABASE_URL (e.g. postgres://…) overrides DATABASE_PATH.
DATABASE_PATH = Path(env.str("DATABASE_PATH", default="bedrot_analytics.db"))
if not DATABASE_PATH.is_absolute():
    DATABASE_PATH = BASE_DIR / DATABASE_PATH

SQLITE_OPTIONS = {
    # WAL lets API readers run while a load writes; NORMAL is durable across crashes in WAL mode.
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    # IMMEDIATE takes the write lock at BEGIN, so a waiting writer honours the busy timeout
    # instead of failing at once with "database is locked" on a read-to-write upgrade.
    "transaction_mode": "IMMEDIATE",
    "timeout": env.int("SQLITE_BUSY_TIMEOUT_SECONDS", default=30),
}

if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATABASE_PATH),
            # Tests run on a real file next to the database, so subprocesses (daphne, load_curated) see it.
            "TEST": {"NAME": str(DATABASE_PATH.with_name("test_" + DATABASE_PATH.name))},
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
elif "postgresql" in DATABASES["default"]["ENGINE"]:
    # PostgreSQL's counterpart of SQLite's busy timeout: a write waiting on a lock gives up (web: 503) instead of
    # hanging a worker for ever.
    _lock_timeout_ms = int(env.float("DATABASE_LOCK_TIMEOUT_SECONDS", default=30) * 1000)
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c lock_timeout={_lock_timeout_ms}".strip()
    # Under ASGI each request runs in a thread of its own, so a persistent connection is never reused and every
    # thread holds its own: two daphne workers serving 20 clients exhausted PostgreSQL's 100 connections
    # (bench/api_bench.py). One psycopg pool per process bounds them (Django requires CONN_MAX_AGE = 0 with it).
    _options.setdefault("pool", {"min_size": 1, "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=8)})
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# Persistent SQLite connections (PostgreSQL pools instead, above): a new one costs ~1 ms per request (open, PRAGMAs,
# Django's function registrations); idle ones hold no transaction, so loads, checkpoints and restore_db are unaffected.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # with IMMEDIATE every request would take the write lock

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DATABASE_BACKUP_PATH = Path(env.str("DATABASE_BACKUP_PATH", default="backups"))
if not DATABASE_BACKUP_PATH.is_absolute():
    DATABASE_BACKUP_PATH = BASE_DIR / DATABASE_BACKUP_PATH

# --- Data lake ------------------------------------------------------------------------------------------------
DATA_LAKE_PATH = Path(env.str("DATA_LAKE_PATH", default=str(BASE_DIR / "sample_lake")))
LANDING_ZONE = env.str("LANDING_ZONE", default="1_landing")
RAW_ZONE = env.str("RAW_ZONE", default="2_raw")
STAGING_ZONE = env.str("STAGING_ZONE", default="3_staging")
CURATED_ZONE = env.str("CURATED_ZONE", default="4_curated")
ARCHIVE_ZONE = env.str("ARCHIVE_ZONE", default="5_archive")
LOAD_MAX_BAD_RATIO = env.float("LOAD_MAX_BAD_RATIO", default=0.05)
LOAD_QUEUED_WAIT_SECONDS = env.float("LOAD_QUEUED_WAIT_SECONDS", default=900.0)  # a queued refresh behind another job
CAPITAL_ONE_PURCHASE_SIGN = env.str("CAPITAL_ONE_PURCHASE_SIGN", default="positive")

# --- Channels -------------------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # redis-py 8 reads with a 5 s socket timeout by default, the same as channels-redis's 5 s BZPOPMIN, so an
    # idle receive raised TimeoutError every few seconds; 15 s leaves the blocking pop room to return.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 15}]},
        }
    }
else:
    # Single-process only: the realtime watcher polls load runs so scheduler loads still reach /ws.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Cache (API responses, DRF throttle counts; warehouse/cache.py) ------------------------------------------------
# With Redis every daphne worker, the loader and the admin share one cache: one rate limit per client, each response
# computed once per load run in total, and one invalidation reaches all. Without Redis: each process's memory.
# Never `cache.clear()` in production: with Redis it would flush the channel layer's keys in the same database.
CACHE_KEY_PREFIX = env.str("CACHE_KEY_PREFIX", default="bedrot")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "bedrot_site.redis_cache.FallbackRedisCache",  # per-process memory while Redis is down
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {"socket_timeout": 5, "socket_connect_timeout": 5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "KEY_PREFIX": CACHE_KEY_PREFIX}}

# --- API ------------------------------------------------------------------------------------------------------
API_PUBLIC_READ = env.bool("API_PUBLIC_READ", default=False)


def _networks(name: str, default: str) -> list:
    """A comma-separated list of networks (`10.0.0.0/8`) or addresses; a bad entry stops the server, named."""
    try:
        return [ipaddress.ip_network(item.strip(), strict=False) for item in env.list(name, default=default.split(","))]
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: {exc}") from exc


LOOPBACK = "127.0.0.0/8,::1/128"
# Anonymous reads (API_PUBLIC_READ) only from these client addresses: the dashboard's own server.
API_PUBLIC_READ_FROM = _networks("API_PUBLIC_READ_FROM", LOOPBACK)
# Peers whose X-Forwarded-For is believed (bedrot_site/client_address.py): nginx on this machine by default.
TRUSTED_PROXIES = _networks("TRUSTED_PROXIES", LOOPBACK)
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=["http://localhost:3000", "http://localhost:3001"])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_CREDENTIALS = True
APPEND_SLASH = False  # every route answers with and without the slash; never redirect through the proxy

# --- Websocket /ws (realtime/, docs/REALTIME.md) ---------------------------------------------------------------
# Origins: the CORS list plus the warehouse's own hosts (a port-less entry allows any port of that host).
# "*" in DJANGO_ALLOWED_HOSTS is never turned into "any origin".
WS_ALLOWED_ORIGINS = env.list(
    "WS_ALLOWED_ORIGINS",
    default=[
        *CORS_ALLOWED_ORIGINS,
        *(f"{scheme}://{host}" for host in ALLOWED_HOSTS if host != "*" for scheme in ("http", "https")),
    ],
)
WS_MAX_CONNECTIONS = env.int("WS_MAX_CONNECTIONS", default=1000)  # per server process; beyond → close 1013
WS_HEARTBEAT_INTERVAL = env.float("WS_HEARTBEAT_INTERVAL", default=30.0)
WS_MAX_FRAME_BYTES = env.int("WS_MAX_FRAME_BYTES", default=4096)
WS_RATE_LIMIT = (env.int("WS_RATE_LIMIT_FRAMES", default=20), env.float("WS_RATE_LIMIT_SECONDS", default=10.0))
WS_UPDATE_MIN_INTERVAL = env.float("WS_UPDATE_MIN_INTERVAL", default=1.0)  # seconds between updates per client
WS_SNAPSHOT_TTL = env.float("WS_SNAPSHOT_TTL", default=60.0)  # reuse a computed snapshot for subscribe/refresh
WS_BROADCAST_GROUP = env.str("WS_BROADCAST_GROUP", default="bedrot.load-runs")
# Without Redis the loader cannot reach daphne, so daphne polls load_run; with Redis the layer delivers.
WS_LOAD_RUN_POLL_INTERVAL = env.float("WS_LOAD_RUN_POLL_INTERVAL", default=0.0 if REDIS_URL else 0.5)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "api.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="120/min"),
        "user": env.str("API_THROTTLE_USER", default="1200/min"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "BEDROT Warehouse API",
    "DESCRIPTION": "Dashboard endpoints computed from the BEDROT analytics warehouse.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",  # offline assets: the machines have no internet
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Requests with an unknown API token per client address (api/throttling.py BadTokenThrottle); not a DRF default
# throttle, because authentication refuses them before DRF's throttles run.
API_THROTTLE_BAD_TOKEN = env.str("API_THROTTLE_BAD_TOKEN", default="30/min")

# --- Dashboard API (api/, docs/API.md) --------------------------------------------------------------------------
REST_FRAMEWORK["EXCEPTION_HANDLER"] = "api.exceptions.exception_handler"  # {"success": false, "error": ...}
REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"] = "api.pagination.ResourcePagination"
REST_FRAMEWORK["PAGE_SIZE"] = 50
REST_FRAMEWORK["DATETIME_FORMAT"] = "%Y-%m-%dT%H:%M:%SZ"  # contract §1: ISO 8601 UTC, e.g. 2025-08-19T07:41:10Z
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["api.throttling.AnonThrottle", "api.throttling.UserThrottle"]
# The schema and Swagger UI are not health routes: authenticated like the API (token first, so 401 not 403).
SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"] = ["rest_framework.permissions.IsAuthenticated"]
SPECTACULAR_SETTINGS["SERVE_AUTHENTICATION"] = [
    "api.authentication.TokenAuthentication",
    "rest_framework.authentication.SessionAuthentication",
]
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    "ArtistStatusEnum": "warehouse.models.Artist.Status",
    "LoadRunStatusEnum": "warehouse.models.LoadRun.Status",
    "SourceFileStatusEnum": "warehouse.models.SourceFile.Status",
}
# Responses are cached per latest load run (contract §1: key includes load_run_id, ≤ 300 s); 0 turns it off.
API_CACHE_SECONDS = min(env.int("API_CACHE_SECONDS", default=60), 300)
# Per-stream rates for expected revenue (curated-zone §5, dated 2024-08-04); override as JSON in the environment.
REVENUE_RATES = env.json(
    "REVENUE_RATES",
    default={
        "spotify": "0.002274",
        "apple_music": "0.005771",
        "apple": "0.005771",
        "youtube": "0.001",
        "tidal": "0.0125",
        "amazon": "0.004",
        "default": "0.002486",
    },
)
REVENUE_RATES_DATE = env.str("REVENUE_RATES_DATE", default="2024-08-04")
# Freshness (contract B2): a source is stale when its newest data date is older than today − N days.
FRESHNESS_STALE_DAYS = {
    "daily": env.int("FRESHNESS_STALE_DAYS_DAILY", default=3),
    "dk_bank_details": env.int("FRESHNESS_STALE_DAYS_DK", default=45),
    "spotify_songs": env.int("FRESHNESS_STALE_DAYS_SPOTIFY_SONGS", default=7),
}
LOAD_RUN_STALE_AFTER_SECONDS = env.int("LOAD_RUN_STALE_AFTER_SECONDS", default=3600)  # a queued/running run with no
# live process and no progress for this long no longer blocks POST /api/refresh

# --- import-export (admin) -------------------------------------------------------------------------------------
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
# A control character from the lake (or an imported cell) becomes U+FFFD in an XLSX export instead of failing the
# whole table (openpyxl refuses it); CSV exports keep the text as it is.
IMPORT_EXPORT_ESCAPE_ILLEGAL_CHARS_ON_EXPORT = True
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"
# Admin imports are refused above these bounds (a 10 MB preview took minutes): master-data lists are far smaller.
ADMIN_IMPORT_MAX_BYTES = env.int("ADMIN_IMPORT_MAX_BYTES", default=1024 * 1024)
ADMIN_IMPORT_MAX_ROWS = env.int("ADMIN_IMPORT_MAX_ROWS", default=5000)
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"

# --- Royalty statements (statements/, docs/STATEMENTS.md) ---------------------------------------------------------
LABEL_NAME = env.str("LABEL_NAME", default="BEDROT Productions")  # printed on every statement

# --- Auth, i18n, static -----------------------------------------------------------------------------------------
# Failed admin log-ins (bedrot_site/middleware.py): beyond these counts an address or a user name is refused (429)
# until ADMIN_LOGIN_LOCKOUT_SECONDS after its first failure.
ADMIN_LOGIN_MAX_FAILURES_PER_USER = env.int("ADMIN_LOGIN_MAX_FAILURES_PER_USER", default=5)
ADMIN_LOGIN_MAX_FAILURES_PER_ADDRESS = env.int("ADMIN_LOGIN_MAX_FAILURES_PER_ADDRESS", default=20)
ADMIN_LOGIN_LOCKOUT_SECONDS = env.int("ADMIN_LOGIN_LOCKOUT_SECONDS", default=900)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / env.str("STATIC_ROOT", default="staticfiles")  # collectstatic target, served by WhiteNoise
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- The warehouse's own page (dashboard/, docs/DASHBOARD.md) ------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
# Chart.js comes from the `chartkick` wheel (requirements.txt), served as /static/chartkick/Chart.bundle.js: a
# registry package, never a copy in this repository, and no CDN (the machines have no internet).
_CHARTKICK_STATIC = Path(importlib.util.find_spec("chartkick").origin).parent / "django" / "static" / "chartkick"
STATICFILES_DIRS = [("chartkick", _CHARTKICK_STATIC)]

# --- Production hardening (only when DEBUG is off) --------------------------------------------------------------
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# DRF throttles by client address. With NUM_PROXIES unset it trusts X-Forwarded-For, which a client writes
# itself; REMOTE_ADDR is already the client behind TRUSTED_PROXIES (bedrot_site/client_address.py).
REST_FRAMEWORK["NUM_PROXIES"] = 0

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
