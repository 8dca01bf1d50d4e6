"""Quick start on embedded defaults: SQLite and a file-system Celery broker in ./data.

No PostgreSQL or Redis is needed. Keys for this install are generated on first use into
data/local-secrets.json (git-ignored); nothing secret is in the repository.
"""

import json
import secrets
from base64 import b64encode

from .base import *  # noqa: F403
from .base import BASE_DIR, env

DATA_DIR = BASE_DIR / "data"
DATA_DIR.mkdir(exist_ok=True)


def _local_secrets() -> dict[str, str]:
    path = DATA_DIR / "local-secrets.json"
    if path.exists():
        loaded: dict[str, str] = json.loads(path.read_text())
        return loaded
    values = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": "k1:" + b64encode(secrets.token_bytes(32)).decode(),
        "BLIND_INDEX_KEY": secrets.token_urlsafe(32),
    }
    path.write_text(json.dumps(values, indent=2))
    path.chmod(0o600)
    return values


_secrets = _local_secrets()
DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default=_secrets["SECRET_KEY"])
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[_secrets["FIELD_ENCRYPTION_KEYS"]])
BLIND_INDEX_KEY = env.str("BLIND_INDEX_KEY", default=_secrets["BLIND_INDEX_KEY"])

# A real Celery worker on an embedded broker: messages are files in data/broker.
_broker_dir = DATA_DIR / "broker"
for _sub in ("out", "processed"):
    (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "data_folder_in": str(_broker_dir / "out"),
    "data_folder_out": str(_broker_dir / "out"),
    "processed_folder": str(_broker_dir / "processed"),
    "store_processed": False,
}
# Web and worker are separate processes: share the cache through files.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(DATA_DIR / "cache")}
}
