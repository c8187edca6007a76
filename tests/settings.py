"""Settings for the test run: the real settings, with a test secret key."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-" + "x" * 40)
os.environ.setdefault("DEBUG", "0")

from tracker.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast user set-up in tests
MEDIA_ROOT = BASE_DIR / ".test-media"  # noqa: F405
