"""The signature of a department webhook and of its callbacks: HMAC-SHA256 over `<timestamp>.<body>`.

Both directions sign the same way (docs/department-contract.md): the signer sends `X-Jiehu-Timestamp`
(Unix seconds), `X-Jiehu-Key-Id` (which shared secret) and `X-Jiehu-Signature: v1=<hex digest>`, the
digest of the ASCII timestamp, one `.` and the exact body bytes. Pure: no I/O, the clock passed in.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

TIMESTAMP = "X-Jiehu-Timestamp"
KEY_ID = "X-Jiehu-Key-Id"
SIGNATURE = "X-Jiehu-Signature"
DELIVERY = "X-Jiehu-Delivery"  # an order's delivery id (also in the body): the same on every retry
SCHEME = "v1"
WINDOW_SECONDS = 300  # a signed message older or newer than this (clock skew included) is refused


class SignatureRefused(Exception):
    """A message whose signature does not hold; `code` names why (for a problem+json answer)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`v1=<hex>`: HMAC-SHA256 with `secret` (UTF-8) over `b"<timestamp>." + body`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"{SCHEME}={digest}"


def signed_headers(key_id: str, secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers that sign `body` at `timestamp` (Unix seconds) with the key `key_id`."""
    return {TIMESTAMP: str(timestamp), KEY_ID: key_id, SIGNATURE: signature(secret, timestamp, body)}


def verify(headers: Mapping[str, str], body: bytes, secrets: Mapping[str, str], now: float,
           window: int = WINDOW_SECONDS) -> str:
    """Check a signed message; returns the key id that signed it.

    `headers`: case-insensitive (as HTTP's), `secrets`: key id -> secret of the keys valid now, `now`:
    Unix seconds. Raises SignatureRefused: `invalid_signature` (a header missing or malformed, an
    unknown key id, a digest that does not match), `stale_timestamp` (outside `window` seconds of `now`).
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    timestamp, key_id, sent = (lowered.get(h.lower(), "") for h in (TIMESTAMP, KEY_ID, SIGNATURE))
    if not (timestamp and key_id and sent):
        raise SignatureRefused("invalid_signature", f"send {TIMESTAMP}, {KEY_ID} and {SIGNATURE}")
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureRefused("invalid_signature", f"{TIMESTAMP} is Unix time in whole seconds")
    secret = secrets.get(key_id)
    if secret is None:
        raise SignatureRefused("invalid_signature", f"key {key_id!r} is not a valid key of this department")
    if not hmac.compare_digest(signature(secret, int(timestamp), body).encode(), sent.strip().encode()):
        raise SignatureRefused("invalid_signature", f"the signature does not match: {SCHEME}=HMAC-SHA256 of "
                                                    f"'<{TIMESTAMP}>.<body>' with the key's secret, in hex")
    if abs(now - int(timestamp)) > window:
        raise SignatureRefused("stale_timestamp", f"{TIMESTAMP} is more than {window} s away from now "
                                                  f"({int(now)}): sign each message when you send it")
    return key_id
