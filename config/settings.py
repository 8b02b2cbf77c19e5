"""Configuration from JIEHU_* environment variables, built once by each process's composition root."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.duplicates import DuplicateRule


class Open311Client(BaseModel):
    """An Open311 integrator holding an api_key: who it is and what its GET requests may read.

    `read="public"`: what anyone reads (published categories, public summary, coarse address);
    `read="all"`: every petition that is not confidential, with the redacted description and the
    full address (a trusted integrator such as the city's 12345 platform). Every key may POST, within the intake
    rate limit (`burst`, `per_minute`: its own, else the settings' `intake_*`)."""

    name: str = Field(min_length=1)
    read: Literal["public", "all"] = "public"
    # its own intake rate limit (api/rate_limit.py), for an integrator that carries many residents' reports (the
    # 12345 platform): reports at once and a minute; None: JIEHU_INTAKE_BURST / JIEHU_INTAKE_PER_MINUTE, 0: no limit
    burst: int | None = Field(default=None, ge=1)
    per_minute: float | None = Field(default=None, ge=0)


class Settings(BaseSettings):
    """Every setting of a jiehu process, read from `JIEHU_*` environment variables (or `.env`): database and Temporal
    addresses, policy, ports, logging, authentication, Open311 keys, department secrets, notification channels."""

    model_config = SettingsConfigDict(env_prefix="JIEHU_", env_file=".env", extra="ignore")

    database_url: str = "postgresql://postgres@127.0.0.1:5432/jiehu"
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "petitions"
    policy: str = "default"
    scoring: str = ""  # a scoring-weights file; empty: config/data/scoring.yaml
    metrics_port: int = 9100  # the worker's /metrics (the API serves /metrics on its own port); 0: off
    temporal_sdk_metrics: str = ""  # host:port where the Temporal SDK serves its metrics; empty: off
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    log_format: Literal["console", "json"] = "console"
    log_level: str = "INFO"
    db_pool_size: int = 10
    # Authentication: HS256 with a shared secret (dev), or an identity provider's JWKS (production).
    jwt_secret: str | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    max_body_bytes: int = 64 * 1024
    # Intake rate limits per client (issue 16 §3, api/rate_limit.py): `intake_burst` reports at once, then
    # `intake_per_minute` a minute, per token subject / Open311 api_key / IP, in each API process; 0 a minute: off
    intake_burst: int = Field(default=60, ge=1)
    intake_per_minute: float = Field(default=60.0, ge=0)
    # Open311 clients (JSON in the environment): api_key -> client name, which may create requests
    # and read what the public reads, or api_key -> {"name": ..., "read": "public" | "all"}
    open311_api_keys: dict[str, str | Open311Client] = {}
    # District departments' shared secrets (JSON): department code -> key id -> secret. The org data names
    # the key ids (`department_systems`); the secrets sign the work orders POSTed to a department's webhook
    # and verify its callbacks (docs/department-contract.md). Never in the org file.
    department_keys: dict[str, dict[str, str]] = {}
    webhook_timeout_seconds: float = 10.0  # one POST to a department's system, connect and answer
    # Notifications (docs/notifications.md). A channel without an endpoint is written to the log instead.
    notifications: bool = True  # the notifier follows the log in the worker (and in `jiehu dev`)
    notify_rules: str = ""  # a subscriptions-and-templates file; empty: config/data/notifications.yaml
    notify_task_queue: str = "notifications"  # the delivery workflows' queue, apart from the petitions'
    notify_webhook_url: str = ""  # the city's messaging hub: JSON POSTs, HMAC-SHA256 signed
    notify_webhook_secret: str = ""
    # issue 14 §5: the duplicate rule at intake (domain/duplicates.py): open petitions of the same category reported
    # within the window, in the same grid or within the distance, whose descriptions score at least the text score
    duplicate_window_hours: float = Field(default=168.0, gt=0)
    duplicate_distance_m: float = Field(default=300.0, ge=0)
    duplicate_text_score: float = Field(default=0.2, ge=0, le=1)
    duplicate_limit: int = Field(default=5, ge=1, le=50)

    def duplicate_rule(self) -> DuplicateRule:
        """The duplicate rule these settings make (`JIEHU_DUPLICATE_*`)."""
        return DuplicateRule(window_seconds=self.duplicate_window_hours * 3600, distance_m=self.duplicate_distance_m,
                             min_text_score=self.duplicate_text_score, limit=self.duplicate_limit)
    notify_sms_url: str = ""  # the SMS gateway: JSON POSTs with the delivery id as Idempotency-Key
    notify_sms_api_key: str = ""
    # The SMS gateway's inbound messages (residents' replies, POST /v1/sms/inbound), signed as department
    # callbacks are (services/signatures.py): key id -> secret (JSON). Empty: the endpoint answers 404.
    sms_inbound_keys: dict[str, str] = {}
    notify_give_up_seconds: float = 2 * 86400.0  # a delivery retries this long (schedule-to-close), then fails
    notify_max_backoff_seconds: float = 300.0  # the longest wait between two attempts
    notify_max_event_lag_seconds: float = 86400.0  # events recorded later than this after they happened: no one told
    console_url: str = "http://127.0.0.1:8000"  # the web console's base URL, for the links in messages
    # The web console (工作台, issue 15): where its built files are (empty: console/dist of the source tree), and
    # the identity provider's sign-in for it (OIDC authorization code with PKCE against `oidc_issuer`, default
    # `jwt_issuer`; a public client, no secret). No client id: the console offers no provider sign-in.
    console_dist: str = ""
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_scope: str = "openid profile"
    # The tamper-evident log (docs/audit.md): the worker seals the log into an anchor this often; 0: never
    anchor_seconds: float = 3600.0

    def open311_client(self, api_key: str | None) -> Open311Client | None:
        """The integrator holding `api_key` (None: no such key)."""
        found = self.open311_api_keys.get(api_key or "")
        return Open311Client(name=found) if isinstance(found, str) else found
