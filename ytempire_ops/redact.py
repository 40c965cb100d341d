"""Secrets out of everything the CLI prints: passwords in URLs and DSNs become `***`.

`redact(text, secrets)` replaces the password of every URL (`scheme://user:password@host`)
and libpq DSN (`password=...`) in a text, and every known secret value wherever it appears
(an exception's message may quote a password without a URL around it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

MASK = "***"

# scheme://[user]:password@  (the password runs to the last '@' before the host part)
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)(?P<password>[^\s/]*)(?P<at>@)")
# password=value in a libpq key/value DSN, quoted or not
_DSN_PASSWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<password>'(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def url_password(url: str) -> str:
    """The password of a URL ('' when it has none or cannot be parsed)."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return ""
    return unquote(password) if password else ""


def redact_url(url: str) -> str:
    """A URL with its password replaced by ***, e.g. redis://:***@127.0.0.1:6379/0."""
    return _URL_PASSWORD.sub(lambda m: f"{m['head']}{MASK if m['password'] else ''}{m['at']}", url)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every URL or DSN password and every value of `secrets` replaced by ***."""
    text = redact_url(text)
    text = _DSN_PASSWORD.sub(lambda m: f"{m['head']}{MASK}", text)
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text
