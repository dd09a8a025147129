"""Settings come from the environment (see .env.example); defaults suit a developer machine."""

import sys
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# DEBUG=true marks a developer machine (`make run` and the test suite set it); anything else is
# treated as production and must be configured as such.
DEBUG = env.bool("DEBUG", default=False)
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-secret-key-change-me"
SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
# Writing migrations never signs anything, so it runs on a fresh checkout without a key.
_WRITES_CODE_ONLY = len(sys.argv) > 1 and sys.argv[1] == "makemigrations"
if not DEBUG and not _WRITES_CODE_ONLY and (SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off, e.g. "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'. On a developer machine set DEBUG=true.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "django_tables2",
    "django_filters",
    "django_celery_beat",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "axes",
    "connex",
    "customers",
    "contacts",
    "numberblocks",
    "ledger",
    "rates",
    "routing",
    "providers",
    "clirules",
    "calls",
    "dids",
    "packages",
    "summaries",
    "cdrs",
    "invoicing",
    "messaging",
    "portal",
    "paypal",
    "portaldomains",
    "sipauth",
    "alerts",
    "audit",
    "apitokens",
    "staff",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "connex.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "connex.permissions.PermissionMiddleware",
    "connex.middleware.StaffTimezoneMiddleware",
    "connex.middleware.AuditContextMiddleware",
    "portal.middleware.PortalMiddleware",
    "connex.middleware.ContentSecurityPolicyMiddleware",
    # Last, as django-axes requires: it turns a locked-out sign-in into its lockout response.
    "axes.middleware.AxesMiddleware",
]

# Middleware that only panel pages need. Requests to /api/v1/ carrying an API token (switches,
# provisioning systems) skip it: no session, CSRF, messages, htmx, staff timezone, portal, sign-in
# lockout or static files to handle; REST framework authenticates the token and checks each
# endpoint's declared permission (connex/handlers.py).
PANEL_ONLY_MIDDLEWARE = [
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "connex.middleware.StaffTimezoneMiddleware",
    "portal.middleware.PortalMiddleware",
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses sign-ins while a user or address is locked out
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "connex.urls"
WSGI_APPLICATION = "connex.wsgi.application"

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
                "connex.context_processors.navigation",
                "portal.context_processors.portal_navigation",
            ],
            "builtins": ["connex.templatetags.connex_format"],
        },
    }
]

DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/connex")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Seconds a web worker keeps its database connection; the switch API wants it kept (e.g. 60): opening
# a connection costs more than a whole authorize.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A streaming read replica for panel reads (connex/db_router.py): GET pages read there until the
# request writes; tasks, imports, the switch API and every write use the primary.
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["connex.db_router.ReplicaRouter"]
    MIDDLEWARE.insert(1, "connex.db_router.ReplicaRoutingMiddleware")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Staff sign-in (/login/ and /admin/login/): after AXES_FAILURE_LIMIT failures a username is locked
# out, and so is the address they came from, each on its own, for AXES_COOLOFF_MINUTES.
# Lockouts are listed, and lifted, in Settings → Sign-in lockouts.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "connex.net.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "customers:customer_list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "staticfiles")
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_STORAGE",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}

# `make run` serves assets straight from the app folders (no collectstatic step); production
# collects them once into STATIC_ROOT with compressed, hashed names.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=DEBUG)
WHITENOISE_AUTOREFRESH = env.bool("WHITENOISE_AUTOREFRESH", default=DEBUG)

# Email: SMTP in production, configured by EMAIL_URL (smtp://user:pass@host:587/?tls=True).
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Connex <noreply@connex.local>")

# SMS through Twilio; without credentials messages stay in the outbox.
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM = env.str("TWILIO_FROM", default="")
# Optional dotted path to a twilio.http.HttpClient subclass (proxies, custom TLS, tests).
TWILIO_HTTP_CLIENT = env.str("TWILIO_HTTP_CLIENT", default="")

# Customer portal: failed sign-ins per email and address within the window lock that pair out;
# behind N reverse proxies appending X-Forwarded-For, set the proxy count to read the client address.
PORTAL_LOGIN_FAILURE_LIMIT = env.int("PORTAL_LOGIN_FAILURE_LIMIT", default=5)
PORTAL_LOGIN_LOCKOUT_SECONDS = env.int("PORTAL_LOGIN_LOCKOUT_SECONDS", default=900)
# The same count serves the staff sign-in lockout (connex.net.client_ip).
PORTAL_TRUSTED_PROXY_COUNT = env.int("PORTAL_TRUSTED_PROXY_COUNT", default=0)

# PayPal: where the portal sends a contact to pay, and where IPNs are posted back to be verified.
# The sandbox: https://www.sandbox.paypal.com/cgi-bin/webscr and https://ipnpb.sandbox.paypal.com/cgi-bin/webscr
PAYPAL_URL = env.str("PAYPAL_URL", default="https://www.paypal.com/cgi-bin/webscr")
PAYPAL_VERIFY_URL = env.str("PAYPAL_VERIFY_URL", default="https://ipnpb.paypal.com/cgi-bin/webscr")
PAYPAL_VERIFY_TIMEOUT = env.int("PAYPAL_VERIFY_TIMEOUT", default=20)

# Live state shared by the web workers answering the switch (channels, CPS, routing snapshot version)
# and live figures kept outside database transactions (progress of long uploads).
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The one place periodic tasks are declared; `manage.py setup_periodic_tasks` writes them
# into django-celery-beat's tables, where staff can see and pause them in the admin.
PERIODIC_TASKS = {
    "worker-heartbeat": {
        "task": "connex.tasks.worker_heartbeat_task", "every_seconds": 60,
        "description": "A worker records that it is alive (Settings → System health)."},
    "invoice-auto-generate": {
        "task": "invoicing.tasks.invoice_auto_generate_task", "crontab": "30 0 * * *",
        "description": "Create the missing invoices of completed scheduled periods."},
    "messaging-fail-stale": {
        "task": "messaging.tasks.message_fail_stale_task", "every_seconds": 300,
        "description": "Outbox messages stuck in sending for 15 minutes are marked failed."},
    "apply-delayed-changes": {
        "task": "customers.tasks.delayed_changes_apply_task", "every_seconds": 60,
        "description": "Apply delayed customer changes that have come due."},
    "alerts-evaluate": {
        "task": "alerts.tasks.alerts_evaluate_task", "every_seconds": 60,
        "description": "Evaluate every customer's alerts; fire, repeat and reset them through the outbox."},
    "package-charge-run": {
        "task": "packages.tasks.package_charge_run_task", "every_seconds": 3600,
        "description": "Charge package periods that have started (each period once)."},
    "summaries-rollup-pending": {
        "task": "summaries.tasks.summary_rollup_pending_task", "every_seconds": 60,
        "description": "Roll up the hours that received CDRs since the last run."},
    "paypal-ipn-retry": {
        "task": "paypal.tasks.ipn_retry_unverified_task", "every_seconds": 300,
        "description": "Verify and apply PayPal IPNs that arrived while PayPal could not be reached."},
    "calls-events-drain": {
        "task": "calls.tasks.call_events_drain_task", "every_seconds": 1,
        "description": "Write the switch's call events (attempts, live calls, CDRs) to the database."},
    "calls-attempts-purge": {
        "task": "calls.tasks.call_attempts_purge_task", "every_seconds": 3600,
        "description": "Delete call attempts older than Settings → Calls keeps them."},
    "cdr-partitions-ahead": {
        "task": "summaries.tasks.cdr_partitions_create_ahead_task", "crontab": "5 * * * *",
        "description": "Create the daily CDR partitions of today and the week ahead (hourly: cheap when present)."},
    "cdr-retention": {
        "task": "summaries.tasks.cdr_retention_enforce_task", "crontab": "15 1 * * *",
        "description": "Drop whole days of raw CDRs past Settings → CDR retention."},
}

# Customer bulk upload: largest accepted file, and the row count from which a Celery task runs it.
CUSTOMER_IMPORT_MAX_BYTES = env.int("CUSTOMER_IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
CUSTOMER_IMPORT_ASYNC_ROWS = env.int("CUSTOMER_IMPORT_ASYNC_ROWS", default=10_000)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apitokens.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Default deny: a view that does not declare what it needs is refused (see connex/api.py).
    "DEFAULT_PERMISSION_CLASSES": ["connex.api_policy.ApiPermission"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "connex.api_policy.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["connex.api_policy.FilterBackend"],
    "EXCEPTION_HANDLER": "connex.api_policy.exception_handler",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Connex API",
    "DESCRIPTION": "Provisioning, switch lookups, CDR ingest and billing data for the Connex control panel.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs are for signed-in staff only.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAdminUser"],
    "SERVE_AUTHENTICATION": ["rest_framework.authentication.SessionAuthentication",
                             "apitokens.authentication.ApiTokenAuthentication"],
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "connex.api_schema.blank_alternatives_any_of"],
    "ENUM_NAME_OVERRIDES": {
        "CustomerStatusEnum": "customers.models.Customer.Status",
        "InvoiceStatusEnum": "invoicing.models.Invoice.Status",
        "PaymentStatusEnum": "invoicing.models.Payment.Status",
        # IP-auth entries and provider gateways share udp/tcp/tls. "direction" is ingress/egress on
        # IP-auth entries and termination/origination on rate cards and CLI rules (whose blank "any"
        # is left out of the enum, so both are one choice set).
        "ProtocolEnum": "sipauth.models.IpAuthEntry.Protocol",
        "DirectionEnum": "sipauth.models.IpAuthEntry.Direction",
        "CallDirectionEnum": "rates.models.RateCard.Direction",
        # A customer's portal access and a portal domain's offer list the same sections.
        "PortalSectionEnum": "customers.models.PortalSection",
    },
    # Swagger UI's assets come from the sidecar package, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

DJANGO_TABLES2_TEMPLATE = "connex/table.html"
DJANGO_TABLES2_PAGE_RANGE = 8


# Upload limits (bytes).
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs every rendering step at INFO.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}


# Transport security. Off on a developer machine (plain http on 127.0.0.1); on in production,
# where each can still be turned off for a deployment that needs it.
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto, set SECURE_PROXY_SSL_HEADER=true so
# requests it received over https count as secure (and are not redirected in a loop).
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /healthz answers monitors over plain http from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Content-Security-Policy (connex.middleware): every asset comes from this server; scripts carry
# the request's nonce. Inline style attributes are allowed (layout only, no script).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
