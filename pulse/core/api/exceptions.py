"""Errors from services become 400s that name the field; nothing reaches the user as a 500 trace."""

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "payload_too_large"
    default_detail = "The request body is larger than this server accepts."


def exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):  # raised inside request.data; Django would answer HTML
        exc = PayloadTooLarge()
    # Domain errors of other apps declare their status (e.g. a budget refusal is 402) so that core
    # need not import them.
    status = getattr(exc, "http_status", None)
    if isinstance(status, int):
        return Response({"detail": str(exc), "error": type(exc).__name__}, status=status)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    return drf_exception_handler(exc, context)
