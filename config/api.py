"""API conventions: every error carries a stable machine-readable `code`."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.errors import DomainError


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(
            {"code": exc.code, "detail": str(exc.message), **exc.extra},
            status=exc.http_status,
        )
    if isinstance(exc, PermissionDenied):
        return Response({"code": "permission_denied", "detail": str(exc) or "permission denied"},
                        status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, Http404):
        # DRF turns it into NotFound too, but the code below is read from `exc` (it said "invalid").
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "code" not in response.data:
        codes = exc.get_codes() if hasattr(exc, "get_codes") else None
        code = codes if isinstance(codes, str) else getattr(exc, "default_code", "invalid")
        if code == "invalid":
            response.data = {"code": "invalid", "errors": response.data}
        else:
            response.data["code"] = code
    return response
