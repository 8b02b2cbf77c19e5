"""Return visits by SMS survey without services (issue 13 §6): reading a reply, matching its phone, the
survey's window decided with the resolution, the visit's channel on the petition and in the evaluation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from config.reference_data import load_policy
from domain import commands as cmd
from domain import events as ev
from domain.enums import Clock, Role, Status, Urgency, VisitChannel, VisitOutcome
from domain.evaluation import Scorecard, ScoringWeights, scorecard, visits_by_channel
from domain.events import event_from
from domain.model import Actor
from domain.survey import OPT_OUT, phone_key, read_reply
from tests.unit.domain_helpers import VISITOR, Petition
from tests.unit.test_notifications import reported, told, with_report

MONDAY = datetime(2026, 10, 12, 1, 0, tzinfo=UTC)  # 09:00 in Beijing
SURVEY = Actor(id="system@sms-survey", name="短信回访", unit_code="rencheng", role=Role.RETURN_VISITOR)


@pytest.mark.parametrize(("text", "reading"), [
    ("1", VisitOutcome.SATISFIED), (" ２ ", VisitOutcome.BASICALLY_SATISFIED), ("3。", VisitOutcome.DISSATISFIED),
    ("不满意", VisitOutcome.DISSATISFIED), ("满意!", VisitOutcome.SATISFIED), ("td", OPT_OUT), ("退订", OPT_OUT),
    ("13", None), ("3不满意，还是很脏", None), ("好的谢谢", None), ("", None), ("1 2", None),
])
def test_a_reply_is_read_strictly_and_anything_else_is_unclear(text, reading):
    assert read_reply(text) == reading


def test_a_reply_is_matched_on_the_phone_without_country_code_or_separators():
    assert phone_key("+86 138-0537-1234") == phone_key("008613805371234") == phone_key("13805371234") == "13805371234"
    assert phone_key("0537-2345678") == "05372345678"


def resolved(demo_org, **report) -> Petition:
    p = with_report(reported(demo_org), **report) if report else reported(demo_org)
    p.send(cmd.Accept(actor=p.handler))
    p.send(cmd.Resolve(actor=p.handler, result="已清运"))
    return p


def test_the_survey_window_is_decided_with_the_resolution_inside_the_visit_window(demo_org):
    p = resolved(demo_org)
    rules = p.state.rules
    assert rules.survey_window is not None and rules.survey_window.clock is Clock.WHOLE_WORKING_DAYS
    assert p.now < p.state.survey_due < p.state.visit_due
    [note] = [n for n in told(demo_org, p, p.events[-1:]) if n.audience.value == "resident"]
    assert note.kind == "survey" and "回复1满意 2基本满意 3不满意" in note.text
    assert p.state.survey_due.astimezone(UTC) > MONDAY
    # no survey: no phone, a confidential petition, rules frozen before the window existed
    assert resolved(demo_org, reporter_phone="").state.survey_due is None
    assert resolved(demo_org, confidential=True).state.survey_due is None
    old_rules = load_policy("default").rules_for("sanitation", Urgency.NORMAL)
    old = with_report(Petition(demo_org, MONDAY, rules=old_rules.model_copy(update={"survey_window": None})),
                      reporter_phone="13805371234")
    old.send(cmd.Accept(actor=old.handler))
    resolved_event = old.send(cmd.Resolve(actor=old.handler, result="已清运"))[-1]
    assert resolved_event.survey_due is None
    assert [n.kind for n in told(demo_org, old, [resolved_event]) if n.audience.value == "resident"] == ["resolved"]


def test_rules_and_events_frozen_before_the_survey_decode_with_its_defaults():
    rules = load_policy("default").rules_for("sanitation", Urgency.NORMAL).model_dump(mode="json")
    del rules["survey_window"]
    frozen = load_policy("default").rules_for("sanitation", Urgency.NORMAL).model_validate(rules)
    assert frozen.survey_window is None
    visit = event_from("ReturnVisitRecorded", {"at": MONDAY.isoformat(), "outcome": "satisfied", "note": "",
                                               "attempt": 1, "actor": VISITOR.model_dump(mode="json")})
    assert isinstance(visit, ev.ReturnVisitRecorded) and visit.channel is VisitChannel.PHONE
    resolved_event = event_from("PetitionResolved", {
        "at": MONDAY.isoformat(), "unit_code": "g1", "resolution": "fixed", "result": "r", "evidence_urls": [],
        "in_time": True, "visit_due": MONDAY.isoformat(), "actor": VISITOR.model_dump(mode="json")})
    assert isinstance(resolved_event, ev.PetitionResolved) and resolved_event.survey_due is None


def test_an_sms_answer_of_3_reopens_and_the_channel_is_on_the_visit_and_the_record(demo_org):
    p = resolved(demo_org)
    events = p.send(cmd.RecordReturnVisit(actor=SURVEY, outcome=VisitOutcome.DISSATISFIED, channel=VisitChannel.SMS,
                                          note="短信回访: 群众回复“3”"))
    assert [e.type for e in events] == ["ReturnVisitRecorded", "PetitionReopened", "WorkOrderAssigned"]
    assert events[0].channel is VisitChannel.SMS
    assert p.state.status is Status.DISPATCHED and p.state.survey_due is None
    assert p.state.last_visit_channel is VisitChannel.SMS
    p.send(cmd.Accept(actor=p.handler))
    p.send(cmd.Resolve(actor=p.handler, result="已再次清运"))
    assert p.state.survey_due is not None  # a new resolution, a new survey
    events = p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED,
                                          channel=VisitChannel.ON_SITE))
    [record] = [e.record for e in events if isinstance(e, ev.UnitEvaluated) and e.record.resolved]
    assert (record.visit_outcome, record.visit_channel) == (VisitOutcome.SATISFIED, VisitChannel.ON_SITE)
    assert p.state.last_visit_channel is VisitChannel.ON_SITE


def test_a_window_that_closes_without_a_visit_names_no_channel(demo_org):
    p = resolved(demo_org)
    events = p.wait(timedelta(days=10))
    [record] = [e.record for e in events if isinstance(e, ev.UnitEvaluated) and e.record.resolved]
    assert (record.visit_outcome, record.visit_channel) == (VisitOutcome.NOT_VISITED, None)
    assert p.state.last_visit_channel is None


def _fact(outcome: str | None, channel: str | None, close: str = "resolved") -> dict:
    fields = {name: 0 for name in ("received", "accepted", "accepted_in_time", "accept_breaches", "resolve_breaches",
                                   "returns", "escalations_requested", "escalations_by_deadline",
                                   "extensions_requested", "extensions_granted", "urges", "resolved",
                                   "resolved_in_time", "reopens", "returns_held", "redispatch_breaches",
                                   "decision_breaches")}
    return fields | {"received": 1, "accepted": 1, "resolved": 1, "visit_outcome": outcome, "visit_channel": channel,
                     "close_outcome": close, "seconds_to_accept": None, "seconds_to_resolve": None,
                     "first_assigned_at": None, "seconds_holding_returns": None}


def test_a_card_counts_its_visits_by_channel_and_old_visits_as_calls():
    facts = [_fact("satisfied", "sms"), _fact("dissatisfied", "sms"), _fact("basically_satisfied", None),
             _fact("satisfied", "on_site"), _fact("not_visited", None), _fact("unreachable", "phone"),
             _fact("satisfied", "sms", close="duplicate")]  # excluded from the rates: not counted
    assert visits_by_channel(facts) == {"phone": 1, "sms": 2, "on_site": 1}
    card = scorecard({"unit_code": "g1"}, facts, ScoringWeights())
    assert (card.visited, card.visited_by_phone, card.visited_by_sms, card.visited_on_site) == (4, 1, 2, 1)
    old = card.model_dump(exclude={"visited_by_phone", "visited_by_sms", "visited_on_site"})
    assert Scorecard.model_validate(old).visited_by_sms == 0  # an edition frozen before the figures
