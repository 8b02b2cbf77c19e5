"""The notification port and its adapters: the log (the dev stack's output), a signed HTTP webhook, an
SMS gateway. Each `send` returns when the channel took the message and raises when it did not:
`RefusedByChannel` for an answer that retrying cannot change (a 4xx: a bad number, a bad request), any
other error for a channel that is away (it is retried until the delivery's bounded time runs out).

Contract of the webhook (docs/notifications.md): POST of JSON `{delivery_id, petition_id, kind, audience,
unit_code, role, channel, text, link}` with `X-Jiehu-Delivery` (the delivery id, for de-duplication),
`X-Jiehu-Timestamp` (Unix seconds) and `X-Jiehu-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>"
with the shared secret>`. The SMS gateway: POST of JSON `{to, text, idempotency_key}` with the delivery
id as `Idempotency-Key` and the API key as a bearer token.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx
import orjson
import structlog
from temporalio.exceptions import ApplicationError

from domain.enums import NotifyChannel
from domain.masking import mask_phone
from domain.workcalendar import CHINA

log = structlog.get_logger(__name__)


class RefusedByChannel(ApplicationError):
    """The channel answered that this message will never be accepted (not retried)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, type="RefusedByChannel", non_retryable=True)


@dataclass(frozen=True)
class Message:
    """One notification as a channel sends it. `address`: the resident's phone ('' for a unit)."""

    delivery_id: str
    petition_id: str
    kind: str
    audience: str
    unit_code: str
    role: str
    channel: NotifyChannel
    address: str
    text: str
    link: str

    def payload(self) -> dict[str, Any]:
        """The webhook's JSON body (no phone number: a unit's messaging hub needs none)."""
        return {"delivery_id": self.delivery_id, "petition_id": self.petition_id, "kind": self.kind,
                "audience": self.audience, "unit_code": self.unit_code, "role": self.role,
                "channel": self.channel.value, "text": self.text, "link": self.link}


class NotificationChannel(Protocol):
    """A way to send a notification (log, webhook, SMS)."""

    async def send(self, message: Message) -> None:
        """Send `message`; RefusedByChannel for a refusal worth no retry, any other error to be retried."""


class LogChannel:
    """Prints one line per message, Beijing time first (the default of `jiehu dev`, and of any channel
    without an endpoint), the resident's phone masked."""

    def __init__(self, instead_of: str = "") -> None:
        self._instead_of = instead_of

    async def send(self, message: Message) -> None:
        """Print and log `message` (the address masked)."""
        via = f"{self._instead_of} (no endpoint configured: logged)" if self._instead_of else "log"
        announce(message, via)
        log.info("notification logged", delivery_id=message.delivery_id, petition_id=message.petition_id,
                 kind=message.kind, channel=via)


def announce(message: Message, via: str) -> None:
    """One line on the process's output for a message told (Beijing time, who, what), whatever the channel:
    the dev stack shows who was told what and when (the resident's phone masked)."""
    to = mask_phone(message.address) if message.address else f"{message.unit_code} {message.role}".strip()
    at = datetime.now(CHINA).strftime("%H:%M:%S")
    print(f"{at} 通知 [{via}] → {message.audience} {to} · {message.petition_id} · {message.kind}: {message.text}",
          flush=True)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of `<timestamp>.<body>` with `secret`."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookChannel:
    """POSTs the message as signed JSON to one URL (e.g. the city's messaging hub, which knows who in
    each unit holds each role)."""

    def __init__(self, url: str, secret: str, client: httpx.AsyncClient) -> None:
        self._url, self._secret, self._client = url, secret, client

    async def send(self, message: Message) -> None:
        """POST `message` as JSON signed with HMAC-SHA256 over the timestamp and body; raises on a non-2xx answer
        (RefusedByChannel for a 4xx other than 408, 409, 425 and 429)."""
        body = orjson.dumps(message.payload())
        timestamp = str(int(time.time()))
        response = await self._client.post(self._url, content=body, headers={
            "content-type": "application/json", "x-jiehu-delivery": message.delivery_id,
            "x-jiehu-timestamp": timestamp, "x-jiehu-signature": sign(self._secret, timestamp, body)})
        _raise_for(response, "webhook")
        announce(message, "webhook")


class SmsChannel:
    """POSTs `{to, text, idempotency_key}` to the SMS gateway; the delivery id as Idempotency-Key makes
    a retried attempt (the gateway answered but the answer was lost) one message, not two."""

    def __init__(self, url: str, api_key: str, client: httpx.AsyncClient) -> None:
        self._url, self._api_key, self._client = url, api_key, client

    async def send(self, message: Message) -> None:
        """POST `message` to the SMS gateway with its delivery id as Idempotency-Key; raises on a non-2xx answer
        (RefusedByChannel for a 4xx other than 408, 409, 425 and 429)."""
        headers = {"idempotency-key": message.delivery_id}
        if self._api_key:
            headers["authorization"] = f"Bearer {self._api_key}"
        response = await self._client.post(self._url, headers=headers, json={
            "to": message.address, "text": message.text, "idempotency_key": message.delivery_id})
        _raise_for(response, "SMS gateway")
        announce(message, "SMS")


def _raise_for(response: httpx.Response, name: str) -> None:
    if response.is_success:
        return
    detail = f"{name} answered {response.status_code}: {response.text[:200]}"
    if 400 <= response.status_code < 500 and response.status_code not in (408, 409, 425, 429):
        raise RefusedByChannel(detail)
    raise RuntimeError(detail)  # 5xx, 408, 429: the channel is busy or away; try again later


class Channels:
    """Each channel's adapter; a channel without an endpoint is logged, saying so."""

    def __init__(self, webhook_url: str = "", webhook_secret: str = "", sms_url: str = "", sms_api_key: str = "",
                 timeout: float = 10.0) -> None:
        self.client = httpx.AsyncClient(timeout=timeout)
        self._by_channel: dict[NotifyChannel, NotificationChannel] = {
            NotifyChannel.LOG: LogChannel(),
            NotifyChannel.WEBHOOK: WebhookChannel(webhook_url, webhook_secret, self.client) if webhook_url
            else LogChannel("webhook"),
            NotifyChannel.SMS: SmsChannel(sms_url, sms_api_key, self.client) if sms_url else LogChannel("sms"),
        }

    def __getitem__(self, channel: NotifyChannel) -> NotificationChannel:
        return self._by_channel[channel]

    async def aclose(self) -> None:
        """Close the HTTP client the channels share."""
        await self.client.aclose()
