"""The project's own `manage.py check --deploy` checks: what Django's security checks do not know about.

Django's DEBUG and SECRET_KEY checks are warnings (`check --deploy` still exits 0); ours are errors, so a
deploy script that runs `check --deploy` stops on them. Registered from WarehouseConfig.ready().
"""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from bedrot_site.env import SECRET_KEY_HINT, secret_key_weak

_OPEN_PERMISSIONS = {
    "rest_framework.permissions.AllowAny",
    "rest_framework.permissions.IsAuthenticatedOrReadOnly",
}


@register(Tags.security, deploy=True)
def bedrot_deploy_checks(app_configs, **kwargs) -> list:
    return [*_core(), *_api(), *sqlite_issues(settings.DATABASES["default"]), *_import_export()]


def _core() -> list:
    issues = []
    if settings.DEBUG:
        issues.append(Error("DEBUG is on in a deployment.", hint="Set DJANGO_DEBUG=false.", id="bedrot.E001"))
    try:
        key = settings.SECRET_KEY
    except ImproperlyConfigured:  # empty
        key = ""
    if secret_key_weak(key):
        issues.append(
            Error(
                "DJANGO_SECRET_KEY is not a real secret.",
                hint=f"Use 50+ random characters: {SECRET_KEY_HINT}.",
                id="bedrot.E002",
            )
        )
    return issues


def _api() -> list:
    issues = []
    drf = getattr(settings, "REST_FRAMEWORK", {})
    permissions = drf.get("DEFAULT_PERMISSION_CLASSES") or ["rest_framework.permissions.AllowAny"]
    open_ones = [p for p in permissions if p in _OPEN_PERMISSIONS]
    if open_ones:
        issues.append(
            Error(
                f"REST_FRAMEWORK DEFAULT_PERMISSION_CLASSES lets anonymous clients in ({', '.join(open_ones)}).",
                hint="Keep rest_framework.permissions.IsAuthenticated; API_PUBLIC_READ is the one switch for "
                "anonymous reads.",
                id="bedrot.E003",
            )
        )
    basic = "rest_framework.authentication.BasicAuthentication"
    if basic in (drf.get("DEFAULT_AUTHENTICATION_CLASSES") or [basic]):
        issues.append(
            Error(
                "REST_FRAMEWORK authenticates with HTTP Basic (a password on every request).",
                hint="Use SessionAuthentication and TokenAuthentication only.",
                id="bedrot.E004",
            )
        )
    if getattr(settings, "API_PUBLIC_READ", False):
        issues.append(
            Warning(
                "API_PUBLIC_READ is on: anyone who can reach the server reads the dashboard figures without "
                "logging in.",
                hint="Only on a private network. Set API_PUBLIC_READ=false and give the dashboard a token otherwise.",
                id="bedrot.W005",
            )
        )
    return issues


def sqlite_issues(db: dict) -> list:
    """Takes the DATABASES entry (not settings) so a test can hand it a wrong one without swapping databases."""
    if db["ENGINE"] != "django.db.backends.sqlite3":
        return []
    issues = []
    options = db.get("OPTIONS", {})
    if str(options.get("transaction_mode", "")).upper() != "IMMEDIATE":
        issues.append(
            Error(
                "SQLite transaction_mode is not IMMEDIATE: a request that reads then writes fails at once with "
                "'database is locked' while a load runs, ignoring the busy timeout.",
                hint='DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE".',
                id="bedrot.E006",
            )
        )
    if "journal_mode=wal" not in str(options.get("init_command", "")).replace(" ", "").lower():
        issues.append(
            Error(
                "SQLite is not set to WAL: API readers would block on every load and backups.",
                hint='Keep "PRAGMA journal_mode=WAL" in DATABASES["default"]["OPTIONS"]["init_command"].',
                id="bedrot.E007",
            )
        )
    if db.get("ATOMIC_REQUESTS"):
        issues.append(
            Error(
                "ATOMIC_REQUESTS is on with SQLite IMMEDIATE transactions: every request would take the write lock.",
                hint='Set DATABASES["default"]["ATOMIC_REQUESTS"] = False.',
                id="bedrot.E008",
            )
        )
    return issues


def _import_export() -> list:
    issues = []
    for name in ("IMPORT_EXPORT_IMPORT_PERMISSION_CODE", "IMPORT_EXPORT_EXPORT_PERMISSION_CODE"):
        if not getattr(settings, name, None):
            issues.append(
                Error(
                    f"{name} is not set: any staff user could import or export master data.",
                    hint=f'Set {name} (the project uses "change" for import and "view" for export).',
                    id="bedrot.E009",
                )
            )
    return issues
