"""Configuration from JIEHU_* environment variables, built once by each process's composition root."""

from __future__ import annotations

from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIEHU_", env_file=".env", extra="ignore")

    database_url: str = "postgresql://postgres@127.0.0.1:5432/jiehu"
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "petitions"
    policy: str = "default"
    scoring: str = ""  # a scoring-weights file; empty: jiehu/data/scoring.yaml
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
    # Open311 clients allowed to create requests: api_key -> client name (JSON in the environment)
    open311_api_keys: dict[str, str] = {}
