"""Settings for the test suite: production-like (DEBUG off) with throwaway credentials, no `.env`."""

import os

os.environ["DJANGO_READ_DOT_ENV_FILE"] = "false"
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-" + "k3y" * 20)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")

from bedrot_site.env import env  # noqa: E402
from bedrot_site.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast user creation in tests
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
WHITENOISE_USE_FINDERS = True  # daphne in the page tests serves static files without a collectstatic run
# Throttle tests opt back in: in-process through override_settings, a child server through TEST_API_THROTTLE=true.
if not env.bool("TEST_API_THROTTLE", default=False):
    REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = []  # noqa: F405
