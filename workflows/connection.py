"""Connecting to Temporal: the one client every process (API, workers, CLI, benchmarks) talks through,
with the pydantic data converter that petition payloads need."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig


async def connect_temporal(address: str, namespace: str = "default", sdk_metrics_address: str = "") -> Client:
    """A client (and its workers) on `address`; with `sdk_metrics_address` (host:port) the Temporal SDK
    serves its own Prometheus metrics there (workflow task latency, slots, polls, ...)."""
    runtime = None
    if sdk_metrics_address:
        # Prometheus conventions (_total, _seconds), so that promtool accepts the SDK's output too
        runtime = Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(
            bind_address=sdk_metrics_address, counters_total_suffix=True, unit_suffix=True,
            durations_as_seconds=True)))
    return await Client.connect(address, namespace=namespace, data_converter=pydantic_data_converter,
                                runtime=runtime)
