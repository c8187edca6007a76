"""Small pieces of login protection that the settings refer to by name."""

from axes.backends import AxesStandaloneBackend
from django.conf import settings


class AxesBackend(AxesStandaloneBackend):
    """Axes' lockout check, for logins that come with a request.

    Axes refuses an `authenticate()` call without a request (for example
    from a management command or a shell), which would make such calls
    fail instead of simply checking the password. Those calls cannot come
    from the network, so they skip the lockout check and fall through to
    the next backend; every login form passes its request.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip_address(request):
    """The address that login lockouts count per.

    Behind a reverse proxy (TRUST_X_FORWARDED_FOR on), that is the last
    address in X-Forwarded-For: the one our own proxy added. Earlier entries
    come from the client and could be forged.
    """
    if getattr(settings, "TRUST_X_FORWARDED_FOR", False):
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR")
