"""Studio settings. Every knob is an environment variable; README.md lists them.

Embedded default (one machine, no services): SQLite in WAL mode, django-q2's ORM broker, files
under var/. Scale-out: DATABASE_URL, REDIS_URL and STORAGE_BACKEND=s3 switch each piece.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from studio.env import env, envbool, envfloat, envint, envlist, origin_of

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env("STUDIO_VAR_DIR", str(BASE_DIR / "var")))


DEBUG = envbool("DEBUG", True)
SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=0.")
    SECRET_KEY = "insecure-development-key-only-for-debug-mode"  # noqa: S105

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",  # intcomma: "2,560 points" in job totals
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_q",
    "axes",  # login throttling (django-axes): failed sign-ins per account and per address
    "csp",  # Content-Security-Policy headers (django-csp)
    "studio.core",
    "studio.accounts",
    "studio.projects",
    "studio.assets",
    "studio.vendors",
    "studio.points",
    "studio.runs",
    "studio.review",
    "studio.simulator",
    "studio.audit",
    "studio.console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "studio.accounts.middleware.team_middleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # answers a locked-out sign-in (studio/accounts/views.locked_out)
    "csp.middleware.CSPMiddleware",  # the Content-Security-Policy below (django-csp)
    "studio.core.middleware.permissions_policy",
]

ROOT_URLCONF = "studio.urls"
WSGI_APPLICATION = "studio.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
AUTHENTICATION_BACKENDS = ["studio.accounts.backends.SignInThrottle", "django.contrib.auth.backends.ModelBackend"]
# After LOGIN_FAILURE_LIMIT failed sign-ins, an account, and separately an address, is locked for
# LOGIN_LOCKOUT_MINUTES; an operator unlocks it sooner in Django admin (Axes › Access attempts: delete).
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "studio.accounts.views.locked_out"
AXES_IPWARE_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0) or None  # proxies in front that set X-Forwarded-For
AXES_VERBOSE = False
LOGIN_REDIRECT_URL = "projects:list"
LOGOUT_REDIRECT_URL = "login"

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
            ],
        },
    },
]

# Database: SQLite by default. WAL lets the worker and the web server write concurrently;
# IMMEDIATE transactions plus a busy timeout make writers queue instead of failing with "locked".
# Connections are kept for a minute, SQLite's too: the worker otherwise opens one per step.
DATABASE_URL = env("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'studio.sqlite3'}"  # empty counts as unset
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
# A web request's statement that runs longer than this is stopped (PostgreSQL): a page must never hold the
# database for minutes. Web processes only (wsgi.py says which it is); workers and migrations are not bound.
WEB_STATEMENT_TIMEOUT_MS = envint("WEB_STATEMENT_TIMEOUT_MS", 10_000)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env("STUDIO_PROCESS") == "web":
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c statement_timeout={WEB_STATEMENT_TIMEOUT_MS}"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-q2: the ORM broker by default, Redis when REDIS_URL is set.
REDIS_URL = env("REDIS_URL")
Q_CLUSTER = {
    "name": "studio",
    "workers": envint("Q_WORKERS", 4),  # each claims its own due tasks and runs their steps (studio/runs/engine.py)
    "timeout": 300,
    "retry": 360,
    "max_attempts": 1,
    "save_limit": 1000,
    "bulk": 4,  # steps taken from the broker per query
    "label": "Worker",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    # Each claimed batch waits for this poll (`benchmark engine`: one worker 126 claims/s at 0.2 s, 328 at
    # 0.05 s); an idle cluster then costs about 3% of one core.
    Q_CLUSTER["poll"] = 0.05

# A cache every process shares (gunicorn runs several): Redis when there is one, else files under var/.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(VAR_DIR / "cache")}}  # fmt: skip

# Files: the local file system under var/, or S3-compatible storage.
STORAGE_BACKEND = env("STORAGE_BACKEND", "filesystem")
if STORAGE_BACKEND == "s3":
    default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("STORAGE_BUCKET"),
            "endpoint_url": env("STORAGE_ENDPOINT_URL") or None,
            "region_name": env("STORAGE_REGION") or None,
            "access_key": env("STORAGE_ACCESS_KEY_ID") or None,
            "secret_key": env("STORAGE_SECRET_ACCESS_KEY") or None,
            "location": env("STORAGE_PREFIX"),
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
            "signature_version": env("STORAGE_SIGNATURE_VERSION", "s3v4"),
            "querystring_expire": envint("STORAGE_URL_EXPIRE_SECONDS", 3600),
        },
    }
    if not default_storage["OPTIONS"]["bucket_name"]:
        raise ImproperlyConfigured("STORAGE_BACKEND=s3 needs STORAGE_BUCKET.")
elif STORAGE_BACKEND == "filesystem":
    default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "media")},
    }
else:
    raise ImproperlyConfigured(f"STORAGE_BACKEND must be 'filesystem' or 's3', not {STORAGE_BACKEND!r}.")

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# var/ holds what the embedded default keeps on this machine: the SQLite file, media files, the file cache.
# The scale-out layout (PostgreSQL, Redis, S3) needs none of it, so importing settings writes nothing there:
# the image may run with a read-only root file system.
if not env("DATABASE_URL") or not REDIS_URL or STORAGE_BACKEND == "filesystem":
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # makes var/ too; WhiteNoise warns about a missing root
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": default_storage,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if envbool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Uploads: every file goes to a temporary file on disk while it streams in, hashed on the way.
FILE_UPLOAD_HANDLERS = ["studio.assets.upload_handler.HashingUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 0
# Its own folder, made on first use, so that files left by an upload cut off by a server kill can be found and
# removed (studio/assets/upload_handler.py: remove_stale_upload_files, run as each web process starts).
UPLOAD_TEMP_DIR = env("FILE_UPLOAD_TEMP_DIR") or str(VAR_DIR / "tmp" / "uploads")
UPLOAD_MAX_FILES = envint("UPLOAD_MAX_FILES", 100)
# Files past UPLOAD_MAX_FILES are named and skipped (assets/upload_handler.py); a request with ten times
# as many is refused whole, as Django does to bound the work one request can ask for.
DATA_UPLOAD_MAX_NUMBER_FILES = UPLOAD_MAX_FILES * 10
# A job may take 2,000 images (vendors/base.py MAX_JOB_INPUTS), each a form field, a try-on garment two;
# Django's default of 1,000 fields refused a wash of 1,000 products with a bare 400.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000
UPLOAD_MAX_BYTES = envint("UPLOAD_MAX_MB", 25) * 1024 * 1024
UPLOAD_MAX_PIXELS = envint("UPLOAD_MAX_MEGAPIXELS", 50) * 1_000_000
THUMBNAIL_SIZE = envint("THUMBNAIL_SIZE", 480)

# Vendors: the result hosts that may be private addresses (the built-in simulator), and where vendors
# reach the studio to fetch input images.
VENDOR_ALLOWED_PRIVATE_HOSTS = envlist("VENDOR_ALLOWED_PRIVATE_HOSTS", "127.0.0.1:8100" if DEBUG else "")
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "http://127.0.0.1:8000" if DEBUG else "")
INPUT_URL_MAX_AGE_SECONDS = envint("INPUT_URL_MAX_AGE_SECONDS", 6 * 3600)
VENDOR_READ_TIMEOUT_SECONDS = envfloat("VENDOR_READ_TIMEOUT_SECONDS", 30.0)  # a vendor answer slower than this is lost
# How long to look for a task whose submit answer was lost, where the vendor lists our tasks (suchuang).
LOST_TASK_SEARCH_SECONDS = envint("LOST_TASK_SEARCH_SECONDS", 120)
# The run engine (studio/runs/engine.py): a claim lasts this long unless its process renews it, so a dead
# worker's tasks are taken over within it; each worker process runs this many steps at once and holds at
# most this many claims.
TASK_CLAIM_SECONDS = envint("TASK_CLAIM_SECONDS", 8)
ENGINE_STEP_THREADS = envint("ENGINE_STEP_THREADS", 16)
ENGINE_CLAIMS_PER_PROCESS = envint("ENGINE_CLAIMS_PER_PROCESS", 32)
SIMULATOR_URL = env("SIMULATOR_URL", "http://127.0.0.1:8100")  # where `make run` starts the vendor simulator
CREDENTIALS_ENCRYPTION_KEYS = envlist("CREDENTIALS_ENCRYPTION_KEYS")
if not CREDENTIALS_ENCRYPTION_KEYS and not DEBUG:
    raise ImproperlyConfigured(
        "CREDENTIALS_ENCRYPTION_KEYS must be set when DEBUG=0 (vendor keys are stored encrypted with it). "
        "Make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
    )

# Languages: English and Simplified Chinese; the compiled catalogues are in the repository.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_TZ = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Production hardening; `manage.py check --deploy` reports nothing with DEBUG=0.
if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz(/live)?$"]  # load balancers probe over plain HTTP
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)
# Content-Security-Policy: scripts, styles, fonts and requests from this site only (no inline script or style
# anywhere: behaviour is in static/js, asked for by data attributes); images also from the S3 store that signs
# them, and blob: for the composer's previews of files being uploaded. No site may frame the studio.
IMAGE_SOURCES = [SELF, "data:", "blob:"]
if STORAGE_BACKEND == "s3":
    IMAGE_SOURCES.append(origin_of(env("STORAGE_ENDPOINT_URL")) or "https://*.amazonaws.com")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": IMAGE_SOURCES,
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Powerful browser features the studio never uses, switched off for it and anything it could load.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
if envbool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"forbidden_on_one_line": {"()": "studio.core.logging.ForbiddenOnOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.request": {"filters": ["forbidden_on_one_line"]},
        "httpx": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # failures and lockouts, not every successful sign-in
    },
}
