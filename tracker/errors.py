"""What a reader gets when the server fails: 503 while the database is away, 500 otherwise.

Django calls `server_error` for any exception a view or middleware lets
through (and logs it with its traceback first). A database that does not
answer is an outage, not a bug: the answer says so, with `Retry-After`, and
the next request tries the database again, so nothing needs a restart. The
pages are rendered without the request, so they need no session, user or
other database read.
"""

import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

RETRY_AFTER_SECONDS = 30


def path_without_language(path):
    """/ru/api/cases/ → /api/cases/: the public site answers under each language's prefix too."""
    parts = path.split("/", 2)
    if len(parts) == 3 and parts[1] in {code for code, _ in settings.LANGUAGES}:
        return "/" + parts[2]
    return path


def _is_outage(exc):
    return isinstance(exc, (OperationalError, InterfaceError))


def server_error(request):
    outage = _is_outage(sys.exc_info()[1])
    status = 503 if outage else 500
    if path_without_language(request.path).startswith("/api/"):
        detail = "The database is unavailable; try again shortly." if outage else "Server error."
        response = JsonResponse({"detail": detail}, status=status)
    else:
        template = "503.html" if outage else "500.html"
        response = HttpResponse(render_to_string(template), status=status)
    if outage:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
