"""The project's HTTP middleware, one class per concern, in the order settings.MIDDLEWARE runs them:

- ContentSecurityPolicyMiddleware: the Content-Security-Policy header on every response (outermost, so WhiteNoise's
  static files get it too);
- AdminLoginThrottleMiddleware: a limit on failed admin log-ins per client address and per user name;
- DatabaseBusyMiddleware: 503 + Retry-After instead of 500 when a write outside DRF cannot get the database lock.

docs/OPERATIONS.md "Security headers and log-in limits" describes the first two.
"""

import logging
import time

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.cache import cache
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from warehouse.db_busy import RETRY_AFTER_SECONDS, busy_body, database_busy

logger = logging.getLogger(__name__)

# Self only: every page the warehouse serves (admin, Swagger UI, the dashboard page) loads its scripts and styles
# as static files, never inline. Images may be data: URIs (Swagger UI's and the admin's icons are).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


def _failure_keys(request) -> list[tuple[str, int]]:
    """(cache key, allowed failures) for the client's address and for the submitted user name."""
    username = request.POST.get("username", "")[:150].casefold()
    return [
        (f"admin-login:address:{request.META.get('REMOTE_ADDR', '')}", settings.ADMIN_LOGIN_MAX_FAILURES_PER_ADDRESS),
        (f"admin-login:user:{username}", settings.ADMIN_LOGIN_MAX_FAILURES_PER_USER),
    ]


class AdminLoginThrottleMiddleware:
    """Counts failed POSTs to the admin log-in (the form comes back instead of a redirect). Once an address or a user
    name reaches its limit, every attempt, right or wrong, gets 429 and the log-in page saying when to try again,
    until ADMIN_LOGIN_LOCKOUT_SECONDS after the first failure. Counts live in Django's cache (per process unless a
    shared cache is configured)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "POST" or request.path != reverse("admin:login"):
            return self.get_response(request)
        keys = _failure_keys(request)
        now = time.time()
        entries = [cache.get(key) for key, _ in keys]  # (failures, window end) or None
        locked = [
            entry[1] for (_, limit), entry in zip(keys, entries) if entry and entry[0] >= limit and entry[1] > now
        ]
        if locked:
            return self._locked(request, seconds=max(locked) - now)
        response = self.get_response(request)
        if response.status_code == 200:  # the form again: wrong credentials, or not staff
            for (key, _), entry in zip(keys, entries):
                count, until = entry if entry and entry[1] > now else (0, now + settings.ADMIN_LOGIN_LOCKOUT_SECONDS)
                cache.set(key, (count + 1, until), timeout=max(int(until - now), 1))
        elif response.status_code == 302:
            cache.delete(keys[1][0])  # a right password clears its user name's count (the address keeps its own)
        return response

    @staticmethod
    def _locked(request, *, seconds: float) -> TemplateResponse:  # rendered: the middlewares above read it
        minutes = max(1, round(seconds / 60))
        context = {
            **admin.site.each_context(request),
            "title": "Log in",
            "app_path": request.get_full_path(),
            "form": AdminAuthenticationForm(request),
            "next": request.GET.get("next", ""),
            "lockout": (
                "Too many failed log-ins for this user name or from this address. "
                f"Try again in {minutes} minute{'s' if minutes != 1 else ''}."
            ),
        }
        return TemplateResponse(request, "admin/login_locked.html", context, status=429).render()


class DatabaseBusyMiddleware:
    """A write outside DRF (the admin, its login's `last_login` and session writes) that cannot get the database
    lock in time answers 503 with Retry-After, never 500. DRF views do the same in api/exceptions.py."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not database_busy(exception):
            return None
        logger.warning("database_busy path=%s", request.path)
        response = JsonResponse(busy_body(), status=503)  # a 5xx: SessionMiddleware does not retry its save
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
