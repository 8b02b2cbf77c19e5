"""Who is told what, without services: the pure decision of domain/notifications.py on petitions driven by
the decider, with the shipped subscriptions and templates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from config.notifications import load_notification_rules
from domain import commands as cmd
from domain.enums import Audience, CloseOutcome, NotifyChannel, Role, VisitOutcome
from domain.events import Event
from domain.evolve import fold
from domain.model import PetitionState
from domain.notifications import NotificationRules, PetitionFacts, UnitInfo, delivery_id, notifications_for
from domain.workcalendar import CHINA
from tests.unit.domain_helpers import DISPATCHER, VISITOR, Petition

MONDAY = datetime(2026, 10, 12, 1, 0, tzinfo=UTC)  # 09:00 in Beijing
RULES = load_notification_rules()
CONSOLE = "https://jiehu.example.cn"


def told(demo_org, p: Petition, events: list[Event], *, opted_out: bool = False, rules: NotificationRules = RULES):
    """Every notification of `events` (the last ones of `p`), each judged on the petition as it stood then."""
    units = {u.code: UnitInfo(u.code, u.name, u.kind, u.parent_code, u.district_code) for u in demo_org.units.values()}
    before = p.events[:len(p.events) - len(events)]
    state, found = fold(PetitionState(id=p.state.id), before), []
    for i, event in enumerate(events):
        state = fold(state, [event])
        found += notifications_for(event, f"00000000-0000-4000-8000-{i:012d}",
                                   PetitionFacts(state, opted_out, units, CONSOLE), rules)
    return found


def reported(demo_org, **kwargs) -> Petition:
    p = Petition(demo_org, MONDAY, **kwargs)
    return with_report(p, reporter_name="陈秀英", reporter_phone="13805371234")


def with_report(p: Petition, **fields) -> Petition:
    """`p` as if it had been reported with `fields` (the decision folds the petition from its events)."""
    p.events[0] = p.events[0].model_copy(update=fields)
    p.state = fold(PetitionState(id=p.state.id), p.events)
    return p


def test_the_shipped_rules_name_known_kinds_templates_and_placeholders():
    assert RULES.problems() == []
    broken = RULES.model_copy(update={"templates": {"cadre": {"assigned": "{petition_id} {phone}"}}})
    assert any("unknown {phone}" in problem for problem in broken.problems())
    assert any("no resident template" in problem for problem in broken.problems())


def test_the_grid_is_told_of_its_work_order_with_the_deadline_in_beijing_time_and_a_link(demo_org):
    p = reported(demo_org)
    [note] = told(demo_org, p, p.events)
    assert (note.kind, note.audience, note.unit_code, note.role, note.channel) == (
        "assigned", Audience.HOLDER, "rc-yuehe-taibai-g1", Role.GRID_WORKER, NotifyChannel.WEBHOOK)
    due = p.state.assignment.resolve_due.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    assert "P-1" in note.text and f"{CONSOLE}/console/petitions/P-1" in note.text
    assert f"办理时限{due}（北京时间）" in note.text


def test_a_breach_tells_the_unit_and_the_rung_above_and_a_second_one_the_supervisors(demo_org):
    p = reported(demo_org, policy="fast")
    fired = p.wait(timedelta(seconds=7))  # the yellow card (4 s) and the missed accept (6 s)
    notes = told(demo_org, p, fired)
    kinds = [(n.kind, n.audience, n.unit_code) for n in notes]
    assert kinds[:3] == [("warned", Audience.HOLDER, "rc-yuehe-taibai-g1"),
                         ("breached", Audience.HOLDER, "rc-yuehe-taibai-g1"),
                         ("breached", Audience.OVERSEER, "rc-yuehe-taibai")]
    assert ("urged", Audience.HOLDER, "rc-yuehe-taibai-g1") in kinds  # the automatic 督办 of a breach
    assert "repeated_breach" not in [k for k, _, _ in kinds]
    fired = p.wait(timedelta(seconds=2))  # the missed resolve deadline: the petition's second breach
    kinds = [(n.kind, n.audience.value, n.unit_code) for n in told(demo_org, p, fired)]
    assert ("repeated_breach", "supervisors", "rencheng") in kinds
    assert ("assigned", "holder", "rc-yuehe-taibai") in kinds  # escalated: the community holds it now


def test_the_resident_is_told_by_sms_with_their_own_name_masked_and_nothing_of_anyone_else(demo_org):
    p = reported(demo_org)
    events = p.send(cmd.Accept(actor=p.handler))
    [note] = told(demo_org, p, events)
    assert (note.kind, note.audience, note.channel, note.address) == (
        "accepted", Audience.RESIDENT, NotifyChannel.SMS, "13805371234")
    assert note.text.startswith("【街呼区应】陈**您好") and "陈秀英" not in note.text and "13805371234" not in note.text
    assert "垃圾" not in note.text and "console" not in note.text  # no description, no link for the resident


def test_no_message_to_a_resident_who_opted_out_or_without_a_phone(demo_org):
    p = reported(demo_org)
    events = p.send(cmd.Accept(actor=p.handler))
    assert told(demo_org, p, events, opted_out=True) == []
    p = with_report(reported(demo_org), reporter_phone="")
    assert told(demo_org, p, p.send(cmd.Accept(actor=p.handler))) == []


def test_a_confidential_petition_is_never_sent_by_sms(demo_org):
    p = with_report(reported(demo_org), confidential=True)
    events = p.send(cmd.Accept(actor=p.handler)) + p.send(cmd.Resolve(actor=p.handler, result="已清运"))
    events += p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED))
    assert [n for n in told(demo_org, p, events) if n.channel is NotifyChannel.SMS] == []


def test_delivery_ids_are_the_same_on_every_run_and_differ_by_recipient_and_channel(demo_org):
    p = reported(demo_org)
    first, again = told(demo_org, p, p.events), told(demo_org, p, p.events)
    assert [n.delivery_id for n in first] == [n.delivery_id for n in again]
    ids = {delivery_id("e", "resident", NotifyChannel.SMS), delivery_id("e", "resident", NotifyChannel.LOG),
           delivery_id("e", "holder:g1:", NotifyChannel.SMS), delivery_id("f", "resident", NotifyChannel.SMS)}
    assert len(ids) == 4


@pytest.mark.parametrize("line", [{"kinds": ["assigned"], "audience": "holder", "channel": "log", "units": ["x"]}])
def test_subscriptions_are_data_a_line_can_narrow_to_some_units(demo_org, line):
    rules = RULES.model_copy(update={"subscriptions": [*RULES.subscriptions[:0],
                                                       RULES.subscriptions[0].model_validate(line)]})
    p = reported(demo_org)
    assert told(demo_org, p, p.events, rules=rules) == []
    line = line | {"units": ["rc-yuehe-taibai-g1"]}
    rules = rules.model_copy(update={"subscriptions": [RULES.subscriptions[0].model_validate(line)]})
    [note] = told(demo_org, p, p.events, rules=rules)
    assert (note.channel, note.role) == (NotifyChannel.LOG, None)


def test_a_merged_resident_is_not_told_their_matter_closed(demo_org):
    """Issue 14 §5: a petition merged into another closes as a duplicate, but its resident's matter goes on in
    the survivor (they are return-visited there): no 已结案 message; an ordinary close still sends one."""
    p = reported(demo_org)
    assert [n.kind for n in told(demo_org, p, p.send(cmd.MergeInto(actor=DISPATCHER, into="P-0", reason="同一事项")))
            if n.audience is Audience.RESIDENT] == []
    q = reported(demo_org)
    closing = q.send(cmd.Close(actor=DISPATCHER, outcome=CloseOutcome.WITHDRAWN, explanation="群众撤回"))
    assert [n.kind for n in told(demo_org, q, closing) if n.audience is Audience.RESIDENT] == ["closed"]
