"""Every API error body is {"success": false, "error": "<message>"}: no stack traces, no SQL."""

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from api.filters import ParameterError
from warehouse.db_busy import RETRY_AFTER_SECONDS, busy_body, database_busy
from warehouse.selectors import BadParameter, NoData

logger = logging.getLogger(__name__)


def _flatten(detail, prefix: str = "") -> list[str]:
    """DRF error details → 'parameter: message' strings, so a 400 names the parameter."""
    if isinstance(detail, dict):
        return [
            msg
            for key, value in detail.items()
            for msg in _flatten(value, f"{key}" if key != "non_field_errors" else "")
        ]
    if isinstance(detail, list):
        return [msg for item in detail for msg in _flatten(item, prefix)]
    return [f"{prefix}: {detail}" if prefix else str(detail)]


def exception_handler(exc, context):
    if database_busy(exc):  # a load holds the write lock past the busy timeout: try again, not a server fault
        logger.warning("database_busy view=%s", type(context.get("view")).__name__)
        return Response(
            busy_body(), status=status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
        )
    if isinstance(exc, NoData):  # the contract's soft failure: 200 with success false
        return Response({"success": False, "error": str(exc)}, status=status.HTTP_200_OK)
    if isinstance(exc, ParameterError):
        return Response({"success": False, "error": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, BadParameter):
        return Response(
            {"success": False, "error": f'invalid parameter "{exc.parameter}": {exc}'},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        # Unexpected: log it with its traceback, answer without one.
        logger.exception("api_unhandled_error", exc_info=exc)
        return Response(
            {"success": False, "error": "internal server error"}, status=status.HTTP_500_INTERNAL_SERVER_ERROR
        )
    message = "; ".join(_flatten(exc.detail)) if isinstance(exc, exceptions.APIException) else str(exc)
    response.data = {"success": False, "error": message}
    return response


def not_found(request, exception=None):
    """handler404: the JSON envelope (the dashboard and API clients never see an HTML page)."""
    return JsonResponse({"success": False, "error": "not found"}, status=404)


def server_error(request):
    """handler500: no traceback or SQL in the body."""
    return JsonResponse({"success": False, "error": "internal server error"}, status=500)
