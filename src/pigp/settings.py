"""One settings module, driven by environment variables.

A fresh clone boots with no variable set: SQLite and files under ``var/``, a secret key
generated once into ``var/secret_key``, e-mail printed on the console.
Set ``PIGP_ENV=production`` for secure cookies, HSTS and no debug.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url

from pigp.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("PIGP_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

PIGP_ENV = env_str("PIGP_ENV", "development")
PRODUCTION = PIGP_ENV == "production"
TESTING = env_bool("PIGP_TESTING", False)


def _secret_key() -> str:
    configured = env_str("SECRET_KEY")
    if configured:
        return configured
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
# DEBUG is a developer's explicit switch (docs/development.md): never on by default, so no
# visitor of the demo sees a traceback or the URL configuration.
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "widget_tweaks",
    "dsfr",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "pigp.core",
    "pigp.ui",
    "pigp.passerelle",
    "pigp.helios",
    "pigp.extranet",
    "pigp.chorus",
    "pigp.orc",
    "pigp.portal",
    # The project itself, for the commands that assemble every app (manage.py demo).
    "pigp",
]

MIDDLEWARE = [
    "pigp.core.requestid.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "pigp.portal.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "pigp.portal.middleware.SessionExpiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pigp.urls"
WSGI_APPLICATION = "pigp.wsgi.application"

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
                "pigp.ui.context_processors.portal",
            ],
        },
    },
]

# Database: SQLite in var/ unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'pigp.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Authentication
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:login"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 at full cost makes the suite slow; tests only need a real hash.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PIGP_PASSWORD_MIN_LENGTH", 12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "pigp.core.passwords.RepeatedCharacterValidator"},
    {"NAME": "pigp.core.passwords.CommonStemValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60  # one hour

# Sessions end after inactivity.
SESSION_COOKIE_AGE = env_int("PIGP_SESSION_IDLE_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Lockout after repeated failures (django-axes).
AXES_FAILURE_LIMIT = env_int("PIGP_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("PIGP_LOGIN_COOLOFF_MINUTES", 15) / 60  # hours
# Lock per identifier, not per IP: a collectivité's agents often share one NAT address,
# and locking the whole office after five typos would be worse than the threat (docs/decisions.md).
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_USERNAME_CALLABLE = "pigp.core.lockout.username_of"
AXES_LOCKOUT_TEMPLATE = "portal/lockout.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_ENABLED = env_bool("PIGP_AXES_ENABLED", True)

# Second factor (django-otp TOTP).
OTP_TOTP_ISSUER = "PIGP"

# Internationalisation: French interface, UTC stored, Europe/Paris shown.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Static files are served by WhiteNoise whatever DEBUG says; outside production it reads them
# from the apps' folders (no collectstatic needed), in production from STATIC_ROOT.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG
STATIC_ROOT = Path(env_str("PIGP_STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise looks there at start-up
MEDIA_ROOT = Path(env_str("PIGP_MEDIA_ROOT", str(VAR_DIR / "media")))

# Files: every kept file is content-addressed in the "objects" storage.
PIGP_OBJECTS_DIR = Path(env_str("PIGP_OBJECTS_DIR", str(VAR_DIR / "objects")))
PIGP_SPOOL_DIR = Path(env_str("PIGP_SPOOL_DIR", str(VAR_DIR / "spool")))
# CSV exports kept while the ledger holds (extranet/export_cache.py): local to the host.
PIGP_EXPORT_CACHE_DIR = Path(env_str("PIGP_EXPORT_CACHE_DIR", str(VAR_DIR / "cache" / "exports")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "objects": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PIGP_OBJECTS_DIR), "file_permissions_mode": 0o640},
    },
}
# With PIGP_S3_BUCKET set, the objects live in an S3-compatible store (SeaweedFS, MinIO, AWS…).
PIGP_S3_BUCKET = env_str("PIGP_S3_BUCKET")
if PIGP_S3_BUCKET:
    STORAGES["objects"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": PIGP_S3_BUCKET,
            "endpoint_url": env_str("PIGP_S3_ENDPOINT_URL") or None,
            "access_key": env_str("PIGP_S3_ACCESS_KEY") or None,
            "secret_key": env_str("PIGP_S3_SECRET_KEY") or None,
            "region_name": env_str("PIGP_S3_REGION", "us-east-1"),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": True,  # names are content digests: same name, same bytes
        },
    }

# ORC, the archive silo (docs/orc.md): every archived object is written to each storage of
# PIGP_ORC_COPIES, read back and its SHA-512 checked. By default two local roots; with
# PIGP_ORC_S3_BUCKETS (comma-separated, one bucket a copy) S3 buckets on PIGP_S3_ENDPOINT_URL.
PIGP_ORC_DIR = Path(env_str("PIGP_ORC_DIR", str(VAR_DIR / "orc")))
PIGP_ORC_S3_BUCKETS = env_list("PIGP_ORC_S3_BUCKETS")
PIGP_ORC_COPIES: tuple[str, ...] = ()
for _n, _bucket in enumerate(PIGP_ORC_S3_BUCKETS or ["", ""], start=1):
    _name = f"orc-copie-{_n}"
    PIGP_ORC_COPIES += (_name,)
    if _bucket:
        STORAGES[_name] = {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": _bucket,
                "endpoint_url": env_str("PIGP_S3_ENDPOINT_URL") or None,
                "access_key": env_str("PIGP_S3_ACCESS_KEY") or None,
                "secret_key": env_str("PIGP_S3_SECRET_KEY") or None,
                "region_name": env_str("PIGP_S3_REGION", "us-east-1"),
                "default_acl": None,
                "file_overwrite": True,  # names are SHA-512 digests
            },
        }
    else:
        STORAGES[_name] = {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {
                "location": str(PIGP_ORC_DIR / f"copie-{_n}"),
                "file_permissions_mode": 0o640,
            },
        }
# The platform's Ed25519 key that signs the journal's seals (PEM, PKCS#8); made on first use
# outside production. A timestamp authority (RFC 3161) stamps each seal too when its URL is set.
PIGP_ORC_SEAL_KEY = Path(env_str("PIGP_ORC_SEAL_KEY", str(VAR_DIR / "orc_seal_key.pem")))
PIGP_ORC_TSA_URL = env_str("PIGP_ORC_TSA_URL")
# How long an ingest run holds a pending pièce before another run may take it over.
PIGP_ORC_LEASE_SECONDS = env_int("PIGP_ORC_LEASE_SECONDS", 300)
# Largest digitised paper PJ a collectivité may deposit (bytes).
PIGP_ORC_NUMERISATION_MAX_SIZE = env_int("PIGP_ORC_NUMERISATION_MAX_SIZE", 50_000_000)

# Chorus Pro, supplier side: size of one deposited invoice, files in one web deposit, life of
# the e-mailed confirmation link of a new supplier account, registrations per address per hour.
PIGP_CHORUS_DEPOT_MAX_SIZE = env_int("PIGP_CHORUS_DEPOT_MAX_SIZE", 20_000_000)
PIGP_CHORUS_DEPOT_MAX_FILES = env_int("PIGP_CHORUS_DEPOT_MAX_FILES", 20)
PIGP_CHORUS_CONFIRMATION_HOURS = env_int("PIGP_CHORUS_CONFIRMATION_HOURS", 72)
PIGP_CHORUS_INSCRIPTIONS_PER_HOUR = env_int("PIGP_CHORUS_INSCRIPTIONS_PER_HOUR", 10)

# Passerelle limits.
PIGP_PASSERELLE_MAX_SIZE = env_int("PIGP_PASSERELLE_MAX_SIZE", 500_000_000)
PIGP_PASSERELLE_MAX_DECOMPRESSED = env_int("PIGP_PASSERELLE_MAX_DECOMPRESSED", 1_000_000_000)
PIGP_PASSERELLE_MAX_ZIP_ENTRIES = env_int("PIGP_PASSERELLE_MAX_ZIP_ENTRIES", 100)
PIGP_PES_VERSION = env_str("PIGP_PES_VERSION", "v5.17")
PIGP_PES_ACCEPTED_VERSIONS = tuple(env_list("PIGP_PES_ACCEPTED_VERSIONS"))
PIGP_PASSERELLE_STUCK_MINUTES = env_int("PIGP_PASSERELLE_STUCK_MINUTES", 30)
PIGP_PASSERELLE_LEASE_SECONDS = env_int("PIGP_PASSERELLE_LEASE_SECONDS", 900)
# Hand-off of acknowledged flows to the ledger: an ingest that fails is tried again after
# RETRY × 2^(n-1) seconds (at most RETRY_MAX), MAX_ATTEMPTS times in all, then shows
# « intégration en échec »; a flow still pending GRACE seconds after its last hand-off is
# handed off again by the worker's sweep, which runs every SWEEP seconds.
PIGP_INTEGRATION_RETRY_SECONDS = env_int("PIGP_INTEGRATION_RETRY_SECONDS", 30)
PIGP_INTEGRATION_RETRY_MAX_SECONDS = env_int("PIGP_INTEGRATION_RETRY_MAX_SECONDS", 3600)
PIGP_INTEGRATION_MAX_ATTEMPTS = env_int("PIGP_INTEGRATION_MAX_ATTEMPTS", 6)
PIGP_INTEGRATION_GRACE_SECONDS = env_int("PIGP_INTEGRATION_GRACE_SECONDS", 900)
PIGP_WORKER_SWEEP_SECONDS = env_int("PIGP_WORKER_SWEEP_SECONDS", 60)

# Hélios: a decision on a whole bordereau of more pièces than this runs as a background task.
PIGP_HELIOS_BULK_INLINE_MAX = env_int("PIGP_HELIOS_BULK_INLINE_MAX", 200)
# The Extranet's daily alert digest goes with the first worker sweep after this hour (local).
PIGP_EXTRANET_ALERT_HOUR = env_int("PIGP_EXTRANET_ALERT_HOUR", 6)
# Extranet exports of more rows than this (per format) are produced by the worker and offered
# on « Mes exports »: the CSV streams cheaply, the XLSX is written whole before its first byte.
# A request whose run has not reported for LEASE seconds is handed to the worker again; files
# are deleted DAYS days after they were produced.
PIGP_EXTRANET_EXPORT_CSV_MAX = env_int("PIGP_EXTRANET_EXPORT_CSV_MAX", 200_000)
PIGP_EXTRANET_EXPORT_XLSX_MAX = env_int("PIGP_EXTRANET_EXPORT_XLSX_MAX", 20_000)
PIGP_EXTRANET_EXPORT_LEASE_SECONDS = env_int("PIGP_EXTRANET_EXPORT_LEASE_SECONDS", 600)
PIGP_EXTRANET_EXPORT_DAYS = env_int("PIGP_EXTRANET_EXPORT_DAYS", 7)

# SFTP server (manage.py sftp_server): host key generated on first start (mode 0600).
PIGP_SFTP_HOST_KEY = Path(env_str("PIGP_SFTP_HOST_KEY", str(VAR_DIR / "sftp_host_key")))
PIGP_SFTP_MAX_SESSIONS = env_int("PIGP_SFTP_MAX_SESSIONS", 50)
PIGP_SFTP_IDLE_TIMEOUT = env_int("PIGP_SFTP_IDLE_SECONDS", 600)
PIGP_SFTP_DB_THREADS = env_int("PIGP_SFTP_DB_THREADS", 4)

# Background work.
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if TESTING
            else "django_tasks_db.DatabaseBackend"
        ),
        "QUEUES": ["default"],
    }
}

# E-mail: console unless SMTP is configured.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if env_str("EMAIL_HOST")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str(
    "DEFAULT_FROM_EMAIL", "Portail de la gestion publique <ne-pas-repondre@pigp.local>"
)

# Security headers; production turns the secure flags on.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "pigp.ui.views.csrf_failure"
CSRF_COOKIE_HTTPONLY = True
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every line carries the id of the request it belongs to (« - » outside a request).
    "filters": {"request_id": {"()": "pigp.core.requestid.RequestIdFilter"}},
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "line",
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # One handler: Django's default configuration gives the "django" logger a console
        # handler of its own (active under DEBUG) and lets it propagate to the root's, which
        # wrote every "Not Found", "Forbidden" and 500 line twice. Listing the logger here
        # replaces its handlers; its lines go to the root's. (ADMINS is empty: Django's
        # mail_admins handler, dropped with it, sent nothing.)
        "django": {"handlers": [], "level": env_str("LOG_LEVEL", "INFO"), "propagate": True},
    },
}

# API (Django REST framework) and its OpenAPI schema; the docs pages use the bundled
# Swagger UI / ReDoc assets (drf-spectacular-sidecar), never a CDN.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "pigp.api.authentication.BearerTokenAuthentication",
        "pigp.api.authentication.PortalSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["pigp.api.permissions.IsPrincipal"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "pigp.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API du portail de la gestion publique",
    "DESCRIPTION": (
        "Passerelle : déposer des flux (PES, SEPA), suivre leur contrôle, retirer les "
        "acquittements et les retours de la boîte aux lettres. Authentification par jeton "
        "d'un compte de service (`Authorization: Bearer …`) ou par la session du portail. "
        "Chorus Pro : factures reçues (structures destinataires) et dépôt de factures "
        "(fournisseurs), voir docs/chorus.md. "
        "Guide : docs/api.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "persistAuthorization": False},
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # Chorus: the status codes of CPPStatutPivot, and the recipient's decisions among them.
    "ENUM_NAME_OVERRIDES": {
        "CPPStatutPivotEnum": "pigp.chorus.models.factures.StatutFacture.choices",
        "DecisionDestinataireEnum": "pigp.api.chorus_serializers.RECIPIENT_CHOICES",
        "StatutFluxEnum": "pigp.passerelle.models.StatutFlux.choices",
    },
}
