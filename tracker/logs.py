"""A request id on every request, its response and every log line it causes.

An operator who gets a complaint ("the page failed at 10:42") finds the
request by the id shown in the response's `X-Request-ID` header, and every
line logged while serving it carries the same id.
"""

import contextvars
import logging
import re
import uuid

HEADER = "X-Request-ID"
# A proxy may pass its own id on; anything else a client sends is replaced.
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

_current_id = contextvars.ContextVar("request_id", default="-")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.id = incoming if _VALID_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = _current_id.set(request.id)
        try:
            response = self.get_response(request)
        finally:
            _current_id.reset(token)
        response[HEADER] = request.id
        return response


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record: the id of the request being served, or "-"."""

    def filter(self, record):
        request = getattr(record, "request", None)
        record.request_id = getattr(request, "id", None) or _current_id.get()
        return True
