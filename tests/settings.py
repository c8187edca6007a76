"""Settings for the test run: the real settings, with a test secret key."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x" * 40)
os.environ.setdefault("DEBUG", "0")
# The API tests and the schemathesis run send many requests from one address.
os.environ.setdefault("API_RATE_LIMIT", "100000/minute")

from tracker.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast user set-up in tests
MEDIA_ROOT = BASE_DIR / ".test-media"  # noqa: F405

# The tests run with DEBUG off but over plain http and without collectstatic:
# no redirect to https, and static files read from the apps under their own names.
SECURE_SSL_REDIRECT = False
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Most admin tests log in with client.force_login; the two-factor tests turn
# this on themselves.
REQUIRE_2FA = False

# Live-server threads must not keep connections open past the run, or the
# test database cannot be dropped on PostgreSQL.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# Rate limits add their own queries to every counted request; the tests that
# count queries leave them out, and tests/test_ratelimit.py turns them on.
RATELIMIT_ENABLE = False
