"""Settings the app refuses to run without, reported by `manage.py check`."""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

MISSING_SECRET_KEY = "SECRET_KEY is not set: set SECRET_KEY to a long random string, or DEBUG=1 for local development."


def secret_key_missing():
    try:
        return not settings.SECRET_KEY
    except ImproperlyConfigured:  # Django's answer for an empty key
        return True


@checks.register(checks.Tags.security)
def secret_key_is_set(app_configs, **kwargs):
    return [checks.Error(MISSING_SECRET_KEY, id="tracker.E001")] if secret_key_missing() else []


def require_secret_key():
    """Refuse to serve without a secret key (sessions, CSRF tokens and signed links depend on it)."""
    if secret_key_missing():
        raise ImproperlyConfigured(MISSING_SECRET_KEY)
