"""Production: every secret comes from the environment and has no default.

A missing SECRET_KEY, DATABASE_URL, REDIS_URL, FIELD_ENCRYPTION_KEYS or BLIND_INDEX_KEY raises
ImproperlyConfigured when the settings load, so the process never starts half-configured.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
REDIS_URL = env.str("REDIS_URL")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}

FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS")
BLIND_INDEX_KEY = env.str("BLIND_INDEX_KEY")
if not FIELD_ENCRYPTION_KEYS or not BLIND_INDEX_KEY:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS and BLIND_INDEX_KEY must be set and non-empty.")

# HTTPS (on by default; behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER too).
_https = env.bool("DJANGO_HTTPS", default=True)
SECURE_SSL_REDIRECT = _https
# Health checks come over plain HTTP from inside the container network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if _https else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _https
SECURE_HSTS_PRELOAD = _https
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Images and reports in S3-compatible object storage when a bucket is configured.
if env.str("AWS_STORAGE_BUCKET_NAME", default=""):
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}  # noqa: F405
DEMO_DATA_ALLOWED = False
