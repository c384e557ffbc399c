"""Project middleware."""

import logging

from django.http import JsonResponse

from warehouse.db_busy import RETRY_AFTER_SECONDS, busy_body, database_busy

logger = logging.getLogger(__name__)


class DatabaseBusyMiddleware:
    """A write outside DRF (the admin, its login's `last_login` and session writes) that cannot get the database
    lock in time answers 503 with Retry-After, never 500 (issue 16). DRF views do the same in api/exceptions.py."""

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
