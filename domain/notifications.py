"""Who is told what when something happens to a petition (issue 13 §1–§2): a pure decision from one
event, the petition as folded up to it and the subscriptions (data, `config/data/notifications.yaml`)
to the notifications it causes, each with its Chinese text and a deterministic delivery id.

No I/O, no clock: the notifier (`services/notifier.py`) reads the log, folds the petition, and hands
each notification to Temporal; a retried hand-off computes the same delivery ids and sends nothing twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from string import Formatter

from pydantic import BaseModel, ConfigDict, Field

from domain import events as ev
from domain.enums import Audience, NotifyChannel, Role, UnitKind
from domain.masking import mask_name
from domain.model import PetitionState
from domain.workcalendar import CHINA

# fixed for ever: delivery ids computed by older code must equal today's
DELIVERY_NAMESPACE = uuid.UUID("6f1d3c4e-5a0b-4c1e-9b7d-2a8e4f6c1d30")

# notification kind -> the event type that causes it
KINDS: dict[str, str] = {
    "assigned": "WorkOrderAssigned",  # 分办: the unit now holds the work order
    "warned": "DeadlineWarned",  # 黄牌预警
    "breached": "DeadlineBreached",  # 红牌超期
    "repeated_breach": "DeadlineBreached",  # the petition's second breach or later (rules.repeated_breaches)
    "extension_requested": "ExtensionRequested",  # 延期申请 waiting for the rung above
    "urged": "PetitionUrged",  # 督办/催办
    "accepted": "WorkOrderAccepted",  # the resident: 已受理
    "resolved": "PetitionResolved",  # the resident: 已办结 (rules without an SMS survey)
    "survey": "PetitionResolved",  # the resident: 已办结, and the return-visit survey (回复1满意 2基本满意 3不满意)
    "closed": "PetitionClosed",  # the resident: 已结案
}
EVENT_TYPES: tuple[str, ...] = tuple(sorted(set(KINDS.values())))
# what a template may name (`render`); anything else is refused when the templates are loaded
PLACEHOLDERS = ("petition_id", "unit_name", "deadline", "link", "resident", "level")


class Subscription(BaseModel):
    """One line of who is told: for these `kinds`, the `audience` (the unit the event is about, the rung
    above, the district's supervisors, the resident), optionally only units of `unit_kinds` or the
    listed `units` (empty: any), through `channel`, addressed to `role` inside the unit (None: the unit)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kinds: list[str] = Field(min_length=1)
    audience: Audience
    channel: NotifyChannel
    role: Role | None = None
    unit_kinds: list[UnitKind] = []
    units: list[str] = []


class NotificationRules(BaseModel):
    """Subscriptions and templates (`templates[cadre|resident][kind]`: Chinese text with `{placeholders}`
    of `PLACEHOLDERS`); `repeated_breaches`: from which breach of one petition supervisors are told."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subscriptions: list[Subscription]
    templates: dict[str, dict[str, str]]
    repeated_breaches: int = Field(default=2, ge=2)

    def problems(self) -> list[str]:
        """What is wrong with these rules (empty: nothing): unknown kinds, missing templates, unknown
        placeholders."""
        found = []
        for sub in self.subscriptions:
            for kind in sub.kinds:
                if kind not in KINDS:
                    found.append(f"unknown kind {kind!r} (known: {', '.join(KINDS)})")
                elif kind not in self.templates.get(_template_set(sub.audience), {}):
                    found.append(f"no {_template_set(sub.audience)} template for {kind!r}")
        for group, texts in self.templates.items():
            for kind, text in texts.items():
                names = {name for _, name, _, _ in Formatter().parse(text) if name}
                found += [f"template {group}.{kind} names unknown {{{n}}}" for n in sorted(names - set(PLACEHOLDERS))]
        return found


@dataclass(frozen=True)
class UnitInfo:
    """What the decision needs of a unit of the org tree."""

    code: str
    name: str
    kind: UnitKind
    parent_code: str | None = None
    district_code: str | None = None


@dataclass(frozen=True)
class PetitionFacts:
    """The petition folded up to and including the event, whether its resident opted out of messages,
    the org's units by code, and the console's base URL (no trailing slash)."""

    state: PetitionState
    opted_out: bool
    units: Mapping[str, UnitInfo]
    console_url: str


class Notification(BaseModel):
    """One message to one recipient through one channel. `address`: the resident's phone for the
    resident, '' for a unit (the channel's configuration reaches the unit and role)."""

    model_config = ConfigDict(frozen=True)

    delivery_id: str
    petition_id: str
    event_id: str
    event_type: str
    kind: str
    audience: Audience
    unit_code: str
    role: Role | None
    channel: NotifyChannel
    address: str
    text: str


def delivery_id(event_id: str, recipient: str, channel: NotifyChannel) -> str:
    """uuid5 of the event, the recipient and the channel: the same on every retry and every replay."""
    return str(uuid.uuid5(DELIVERY_NAMESPACE, f"{event_id}/{recipient}/{channel.value}"))


def notifications_for(event: ev.Event, event_id: str, facts: PetitionFacts, rules: NotificationRules
                      ) -> list[Notification]:
    """Every notification `event` (stored with `event_id`) causes under `rules`, in subscription order,
    each delivery id once. Residents are told only with a phone, not after opting out, and a confidential
    petition is never sent by SMS to anyone (issue 13 §2)."""
    found: dict[str, Notification] = {}
    for kind, subject, deadline in _triggers(event, facts, rules):
        for sub in rules.subscriptions:
            if kind not in sub.kinds:
                continue
            for note in _for_subscription(sub, kind, subject, deadline, event, event_id, facts, rules):
                found.setdefault(note.delivery_id, note)
    return list(found.values())


def _triggers(event: ev.Event, facts: PetitionFacts, rules: NotificationRules
              ) -> list[tuple[str, str, datetime | None]]:
    """(kind, the unit the event is about, the deadline to name) for each kind `event` causes."""
    state = facts.state
    holding = state.assignment.resolve_due if state.assignment else None
    if isinstance(event, ev.WorkOrderAssigned):
        return [("assigned", event.rung.unit_code, event.resolve_due)]
    if isinstance(event, ev.DeadlineWarned):
        return [("warned", event.unit_code, event.resolve_due)]
    if isinstance(event, ev.DeadlineBreached):
        found: list[tuple[str, str, datetime | None]] = [("breached", event.unit_code, event.due)]
        if _breaches(state) >= rules.repeated_breaches:
            found.append(("repeated_breach", event.unit_code, event.due))
        return found
    if isinstance(event, ev.ExtensionRequested):
        return [("extension_requested", event.unit_code, event.decide_due)]
    if isinstance(event, ev.PetitionUrged):
        return [("urged", event.unit_code, holding)]
    if isinstance(event, ev.WorkOrderAccepted):
        return [("accepted", event.unit_code, holding)]
    if isinstance(event, ev.PetitionResolved):
        # the survey is the resolution's message when the petition's rules give it one (`survey_due`); it
        # names the survey's deadline
        if event.survey_due is not None:
            return [("survey", event.unit_code, event.survey_due)]
        return [("resolved", event.unit_code, None)]
    if isinstance(event, ev.PetitionClosed):
        if state.merged_into:  # issue 14 §5: merged, its matter goes on in the survivor (its resident is
            return []  # return-visited there): "已结案" would tell them it ended
        return [("closed", state.rung.unit_code if state.rung else "", None)]
    return []


def _breaches(state: PetitionState) -> int:
    return sum(r.accept_breaches + r.resolve_breaches + r.redispatch_breaches + r.decision_breaches
               for r in state.units.values())


def _for_subscription(sub: Subscription, kind: str, subject: str, deadline: datetime | None, event: ev.Event,
                      event_id: str, facts: PetitionFacts, rules: NotificationRules) -> list[Notification]:
    state = facts.state
    if sub.channel is NotifyChannel.SMS and state.confidential:
        return []  # 工单保密: nothing of it leaves through an SMS gateway
    if sub.audience is Audience.RESIDENT:
        if facts.opted_out or not state.reporter_phone.strip():
            return []
        unit_code, recipient, address = subject, "resident", state.reporter_phone.strip()
    else:
        unit_code = _target(sub.audience, subject, facts)
        unit = facts.units.get(unit_code)
        if not unit_code or (sub.unit_kinds and (unit is None or unit.kind not in sub.unit_kinds)):
            return []
        if sub.units and unit_code not in sub.units:
            return []
        recipient, address = f"{sub.audience.value}:{unit_code}:{sub.role.value if sub.role else ''}", ""
    text = render(rules.templates[_template_set(sub.audience)][kind], _values(subject, deadline, facts))
    return [Notification(
        delivery_id=delivery_id(event_id, recipient, sub.channel), petition_id=state.id, event_id=event_id,
        event_type=event.type, kind=kind, audience=sub.audience, unit_code=unit_code,
        role=None if sub.audience is Audience.RESIDENT else sub.role, channel=sub.channel, address=address, text=text,
    )]


def _target(audience: Audience, subject: str, facts: PetitionFacts) -> str:
    """The unit told: the subject itself, the rung above it (its overseer on the petition's ladder, else
    its parent in the org), or the district whose supervisors are told."""
    if audience is Audience.HOLDER:
        return subject
    if audience is Audience.OVERSEER:
        for rung in facts.state.ladder:
            if rung.unit_code == subject:
                return rung.overseer_code
        unit = facts.units.get(subject)
        return unit.parent_code or "" if unit else ""
    unit = facts.units.get(subject)
    return facts.state.desk_code or (unit.district_code or "" if unit else "")


def _template_set(audience: Audience) -> str:
    return "resident" if audience is Audience.RESIDENT else "cadre"


def _values(subject: str, deadline: datetime | None, facts: PetitionFacts) -> dict[str, str]:
    state = facts.state
    unit = facts.units.get(subject)
    return {
        "petition_id": state.id,
        "unit_name": unit.name if unit else subject,
        "deadline": beijing(deadline) if deadline else "无",
        "link": f"{facts.console_url}/console/petitions/{state.id}",
        # the resident's own name, masked: a phone shared in a family must not read another's name
        "resident": mask_name(state.reporter_name) if state.reporter_name else "群众",
        "level": state.rung.level.label if state.rung else "",
    }


def beijing(moment: datetime) -> str:
    """`moment` as Beijing time, to the minute: 2026-10-08 17:30."""
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def render(template: str, values: Mapping[str, str]) -> str:
    """`template` with its `{placeholders}` filled from `values` (an unknown one stays as written)."""
    return template.format_map(_Keep(values))


class _Keep(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
