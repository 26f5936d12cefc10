"""htpasswd entries and Basic credentials (pure): what nginx's auth_basic and Envoy's basic_auth check.

Only ``{SHA}`` (both proxies) and ``{PLAIN}`` (nginx) hashes can be checked here; a user with another hash
(bcrypt, apr1, crypt) never matches in the simulator, which the verify report shows as a disagreement.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

__all__ = ["basic_credentials", "check_basic", "parse_htpasswd"]


def parse_htpasswd(text: str) -> tuple[tuple[str, str], ...]:
    """``user:hash`` lines (comments and blank lines skipped)."""
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or ":" not in line:
            continue
        user, _, hashed = line.partition(":")
        out.append((user, hashed.strip()))
    return tuple(out)


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(user, password) of an ``Authorization: Basic`` header, or None."""
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        user, sep, password = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def check_basic(entries: tuple[tuple[str, str], ...], header: str | None, *, plain: bool = False) -> bool:
    """True when the header's user and password match an entry (``{SHA}``; ``{PLAIN}`` too when ``plain``)."""
    creds = basic_credentials(header)
    if creds is None:
        return False
    user, password = creds
    for name, hashed in entries:
        if name != user:
            continue
        if hashed.startswith("{SHA}"):
            digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
            if digest == hashed[5:]:
                return True
        elif plain and hashed.startswith("{PLAIN}") and hashed[7:] == password:
            return True
    return False
