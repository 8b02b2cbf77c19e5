"""jiehu's Prometheus metrics (API and workers) and what feeds them.

The metric objects live at module level on prometheus-client's default registry, as that library
expects: one process registers each name once however many apps or workers it builds (tests build
many). Labels are bounded: ladder levels, channels, the org file's categories (~20), outcomes,
route templates (never raw paths), department codes (~100 per city).

Domain counters are fed by the append activity from the events it actually appended (a retried
append that finds its events already there counts nothing), never by workflow code, which replays.
Gauges that describe the whole system (open petitions, projection lag, department queues) are
refreshed from PostgreSQL and Temporal by `refresh_gauges` in the worker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

MINUTE, HOUR, DAY = 60, 3600, 86400
WORK_BUCKETS = (MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR, DAY, 2 * DAY,
                3 * DAY, 5 * DAY, 10 * DAY, 20 * DAY)

REPORTED = Counter("jiehu_petitions_reported", "Petitions reported", ["channel", "category"])
WARNINGS = Counter("jiehu_deadline_warnings", "Yellow cards: a deadline is near", ["level"])
BREACHES = Counter("jiehu_deadline_breaches", "Deadlines missed", ["level", "deadline"])
ESCALATIONS = Counter("jiehu_escalations", "Petitions moved up the ladder", ["from_level", "reason"])
RETURNS = Counter("jiehu_returns", "Work orders returned as misrouted (退单)", ["level"])
REOPENS = Counter("jiehu_reopens", "Petitions reopened: after a dissatisfied visit, or after closing (结案后重办)")
VISITS = Counter("jiehu_return_visits", "Return visits by outcome and channel (phone, sms: the SMS survey's reply, "
                 "on_site)", ["outcome", "channel"])
CLOSED = Counter("jiehu_petitions_closed", "Petitions closed by outcome", ["outcome"])
TRIAGED = Counter("jiehu_intake_triaged", "Hotline calls closed at intake without a work order (接诉即办 Art. 11), by "
                  "outcome: answered, emergency_handover, legal_channel, outside_duties", ["outcome"])
CALLERS_LINKED = Counter("jiehu_callers_linked", "Callers linked to an open petition about the same matter instead "
                         "of a new one (同一事项无新情况)")
RATE_LIMITED = Counter("jiehu_intake_rate_limited", "Reports refused with 429 because their client (a token's "
                       "subject, an Open311 api_key or IP address) was over its intake rate limit, by intake route: "
                       "petitions, hotline, property_hotline, open311", ["intake"])
ON_THE_SPOT = Counter("jiehu_resolved_on_the_spot", "Petitions reported and resolved on the spot by a grid worker "
                      "(就地解决)")
TO_ACCEPT = Histogram("jiehu_time_to_accept_seconds", "From a unit receiving a work order to accepting it",
                      ["level"], buckets=WORK_BUCKETS)
TO_RESOLVE = Histogram("jiehu_time_to_resolve_seconds", "From a unit receiving a work order to resolving it",
                       ["level"], buckets=WORK_BUCKETS)

APPENDS = Counter("jiehu_event_appends", "Append calls to the event log by result", ["result"])
EVENTS_APPENDED = Counter("jiehu_events_appended", "Events written to the log")
APPEND_SECONDS = Histogram("jiehu_event_append_duration_seconds", "One append statement, version check included",
                           buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))

HTTP_SECONDS = Histogram("jiehu_http_request_duration_seconds", "REST API requests",
                         ["method", "route", "status"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))

OPEN = Gauge("jiehu_petitions_open", "Open petitions by level and deadline state", ["level", "deadline_state"])
REPORTED_TODAY = Gauge("jiehu_petitions_reported_today", "Petitions reported since midnight, China time")
RATES = Gauge("jiehu_evaluation_rate", "This month's three rates (0–1) over every unit's facts, as the "
              "scorecards define them (domain.evaluation.RateCounts)", ["rate"])
PROJECTION_LAG_EVENTS = Gauge("jiehu_projection_lag_events", "Events in the log not yet projected", ["projection"])
PROJECTION_LAG_SECONDS = Gauge("jiehu_projection_lag_seconds", "Age of the oldest unprojected event",
                               ["projection"])
DEPT_BACKLOG = Gauge("jiehu_department_queue_backlog", "Work orders waiting on a department's task queue",
                     ["department"])
DEPT_POLLERS = Gauge("jiehu_department_queue_pollers", "Workers polling a department's task queue recently",
                     ["department"])
WEBHOOK_DELIVERIES = Counter(
    "jiehu_department_webhook_deliveries", "POSTs of work orders to departments' systems by result: delivered "
    "(2xx), refused (another status), unreachable (no answer in time), unconfigured (a secret is missing)",
    ["department", "result"])
DEPT_DELIVERY = Gauge("jiehu_department_delivery", "1 for how a department receives its work orders (org data "
                      "department_systems: api, worker or webhook), 0 for the others", ["department", "delivery"])
UNDELIVERED = Gauge("jiehu_work_orders_undelivered", "Open work orders no one of the holding department has "
                    "picked up yet (no system took it, no staff opened it)", ["department"])
UNDELIVERED_OLDEST = Gauge("jiehu_work_orders_undelivered_oldest_seconds",
                           "How long the oldest of them has waited for its hand-over (0: none waits)",
                           ["department"])
CALENDAR_NEXT_YEAR_OFFICIAL = Gauge(
    "jiehu_calendar_next_year_official",
    "1 when next year's holiday arrangement is official, 0 when only its statutory holidays are known")
CALENDAR_NEXT_YEAR_START = Gauge("jiehu_calendar_next_year_start_timestamp_seconds",
                                 "When next year starts in China (1 January 00:00 +08:00)")
NOTIFICATIONS = Counter("jiehu_notifications", "Notification delivery attempts by channel and outcome: sent, "
                        "retried (the channel was away), refused (it will never take it), failed (gave up)",
                        ["channel", "outcome"])
NOTIFICATIONS_PENDING = Gauge("jiehu_notifications_pending", "Notifications recorded and not yet sent", ["channel"])
NOTIFICATIONS_OLDEST_PENDING = Gauge("jiehu_notifications_oldest_pending_seconds",
                                     "How long the oldest unsent notification has waited", ["channel"])
LOG_ANCHORED = Gauge("jiehu_log_anchor_timestamp_seconds", "When the worker last sealed the event log into an anchor "
                     "(or found nothing new to seal; docs/audit.md)")
GAUGES_REFRESHED = Gauge("jiehu_gauges_refreshed_timestamp_seconds", "When the worker last refreshed the gauges")


def observe_appended(events: Iterable[tuple[str, dict[str, Any]]], level_of: Callable[[str], str]) -> None:
    """Count what the appended events say happened. `level_of` maps a unit code to its ladder level."""
    for kind, data in events:
        if kind == "PetitionReported":
            REPORTED.labels(data["channel"], data["category"]).inc()
        elif kind == "DeadlineWarned":
            WARNINGS.labels(level_of(data.get("unit_code", ""))).inc()
        elif kind == "DeadlineBreached":
            BREACHES.labels(level_of(data["unit_code"]), data["deadline"]).inc()
        elif kind == "PetitionEscalated":
            ESCALATIONS.labels(level_of(data["from_unit"]), "deadline" if data["by_deadline"] else "requested").inc()
        elif kind == "WorkOrderReturned":
            RETURNS.labels(level_of(data["unit_code"])).inc()
        elif kind == "PetitionReopened":
            REOPENS.inc()
        elif kind == "ReturnVisitRecorded":
            VISITS.labels(data["outcome"], data.get("channel", "phone")).inc()
        elif kind == "PetitionClosed":
            CLOSED.labels(data["outcome"]).inc()
        elif kind == "IntakeTriaged":
            TRIAGED.labels(data["outcome"]).inc()
        elif kind == "CallerLinked":
            CALLERS_LINKED.inc()
        elif kind == "PetitionResolved" and data.get("on_the_spot"):
            ON_THE_SPOT.inc()
        elif kind == "UnitEvaluated":
            record = data["record"]
            if record.get("seconds_to_accept") is not None:
                TO_ACCEPT.labels(record["level"]).observe(record["seconds_to_accept"])
            if record.get("seconds_to_resolve") is not None:
                TO_RESOLVE.labels(record["level"]).observe(record["seconds_to_resolve"])
