"""Field encryption (AES-256-GCM with key ids, for rotation) and the keyed blind index.

Stored format: ``v1:<key id>:<urlsafe base64 of nonce || ciphertext+tag>``. The associated data
binds a value to its column, so a ciphertext copied into another column does not decrypt.
Keys come from settings.FIELD_ENCRYPTION_KEYS (newest first) and settings.BLIND_INDEX_KEY,
never from SECRET_KEY.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

PREFIX = "v1"


class DecryptionError(Exception):
    """A stored value could not be decrypted (unknown key id, tampered, or wrong column)."""


@dataclass(frozen=True)
class Keyring:
    current_id: str
    keys: dict[str, bytes]


@lru_cache(maxsize=1)
def keyring() -> Keyring:
    entries = [e.strip() for e in settings.FIELD_ENCRYPTION_KEYS if e.strip()]
    if not entries:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: PHI cannot be stored.")
    keys: dict[str, bytes] = {}
    for entry in entries:
        key_id, sep, b64 = entry.partition(":")
        if not sep or not key_id or ":" in key_id:
            raise ImproperlyConfigured("Each FIELD_ENCRYPTION_KEYS entry must look like 'keyid:base64key'.")
        raw = base64.b64decode(b64 + "=" * (-len(b64) % 4))
        if len(raw) != 32:
            raise ImproperlyConfigured(f"Field encryption key {key_id!r} must be 32 bytes.")
        if key_id in keys:
            raise ImproperlyConfigured(f"Field encryption key id {key_id!r} appears twice.")
        keys[key_id] = raw
    return Keyring(current_id=entries[0].partition(":")[0], keys=keys)


@lru_cache(maxsize=1)
def _blind_index_key() -> bytes:
    if not settings.BLIND_INDEX_KEY:
        raise ImproperlyConfigured("BLIND_INDEX_KEY is empty: PHI cannot be indexed.")
    return hashlib.sha256(b"fertivision-blind-index:" + settings.BLIND_INDEX_KEY.encode()).digest()


@receiver(setting_changed)
def _reset_keys(setting: str, **kwargs: object) -> None:
    if setting in {"FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY"}:
        keyring.cache_clear()
        _blind_index_key.cache_clear()


def encrypt(plaintext: str, *, context: str) -> str:
    ring = keyring()
    nonce = os.urandom(12)
    sealed = AESGCM(ring.keys[ring.current_id]).encrypt(nonce, plaintext.encode(), context.encode())
    return f"{PREFIX}:{ring.current_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def key_id_of(stored: str) -> str | None:
    parts = stored.split(":", 2)
    return parts[1] if len(parts) == 3 and parts[0] == PREFIX else None


def decrypt(stored: str, *, context: str) -> str:
    parts = stored.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise DecryptionError("Value is not in the encrypted format.")
    key = keyring().keys.get(parts[1])
    if key is None:
        raise DecryptionError("Value was encrypted with a key that is no longer configured.")
    blob = base64.urlsafe_b64decode(parts[2])
    try:
        return AESGCM(key).decrypt(blob[:12], blob[12:], context.encode()).decode()
    except InvalidTag as exc:
        raise DecryptionError("Value failed authentication.") from exc


def normalize_for_index(value: str) -> str:
    """Case-, accent-form- and whitespace-insensitive form used for exact-match look-ups."""
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def blind_index(value: str, *, purpose: str) -> str:
    """A keyed hash of the normalised value; equal inputs give equal indexes, nothing else leaks."""
    message = f"{purpose}\x00{normalize_for_index(value)}".encode()
    return hmac.new(_blind_index_key(), message, hashlib.sha256).hexdigest()
