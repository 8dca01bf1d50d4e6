"""Tests: PostgreSQL and Redis from DATABASE_URL / REDIS_URL (scripts/test.sh starts private ones).

The keys below are test fixtures, not secrets: they only ever encrypt generated data.
"""

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = "test-only-secret-key-not-used-anywhere-else-0123456789abcdef"  # noqa: S105
DATABASES = {"default": env.db("DATABASE_URL")}
REDIS_URL = env.str("REDIS_URL")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ALWAYS_EAGER = False

FIELD_ENCRYPTION_KEYS = ["t1:dGVzdC1vbmx5LWZpZWxkLWtleS0zMi1ieXRlcy0wMDA="]
BLIND_INDEX_KEY = "test-only-blind-index-key"

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING["root"]["level"] = "WARNING"  # type: ignore[index]  # noqa: F405
# Static files are not collected in tests; whitenoise would only warn about the missing folder.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]  # noqa: F405
