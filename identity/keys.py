"""Bearer keys for systems, not people: made at random, shown once, kept only as a hash.

A key is 32 random bytes (``secrets.token_urlsafe``), so a fast hash is enough to keep it: nobody can try
every key as they could every password. SHA-256 in hex, looked up through a unique index. Used by an
organisation's SCIM tokens (``scim``) and its case-management system's service tokens (``service_tokens``).
"""
from __future__ import annotations

import hashlib
import secrets

KEY_BYTES = 32  # 256 bits of randomness: RFC 6750 leaves the length to the server; 128 bits is the usual floor


def key_new(prefix: str = "") -> str:
    """A new random key, after ``prefix`` (which says what kind of key it is, e.g. ``etcms_``)."""
    return prefix + secrets.token_urlsafe(KEY_BYTES)


def key_hash(key: str) -> str:
    """What is stored of a key: its SHA-256, in hex (64 characters)."""
    return hashlib.sha256(key.encode()).hexdigest()
