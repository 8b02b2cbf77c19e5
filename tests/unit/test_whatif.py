"""The what-if's basic result (evaluation/whatif.py `replay`): one petition's recorded events replayed under
the rules it was reported with, and under a stricter policy, give the breaches worked out by hand."""

from __future__ import annotations

from datetime import datetime

from config.reference_data import load_policy
from domain import commands as cmd
from domain.enums import Status, VisitOutcome
from domain.workcalendar import CHINA
from evaluation.whatif import Tally, replay
from tests.unit.domain_helpers import CAL, GRID, VISITOR, Petition

COMMUNITY = "rc-yuehe-taibai"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHINA)


def _recorded(demo_org) -> Petition:
    """Reported Mon 23 Nov 2026 09:00 under the default policy (accept within 4 office hours: Mon 14:30;
    resolve within 2 whole working days from the next: Wed 25 Nov 17:30); accepted Mon 10:00, resolved
    Wed 11:00, the resident satisfied at Wed 14:00: on time throughout."""
    p = Petition(demo_org, at(2026, 11, 23, 9))
    assert (p.state.assignment.accept_due, p.state.assignment.resolve_due) == (at(2026, 11, 23, 14, 30),
                                                                               at(2026, 11, 25, 17, 30))
    p.now = at(2026, 11, 23, 10)
    p.send(cmd.Accept(actor=p.handler))
    p.now = at(2026, 11, 25, 11)
    p.send(cmd.Resolve(actor=p.handler, result="已清运"))
    p.now = at(2026, 11, 25, 14)
    p.send(cmd.RecordReturnVisit(actor=VISITOR, outcome=VisitOutcome.SATISFIED))
    return p


def test_a_stricter_policy_turns_a_petition_on_time_into_the_breaches_counted_by_hand(demo_org) -> None:
    p = _recorded(demo_org)
    default = load_policy("default")
    strict = default.model_copy(update={"name": "strict", "categories": {}, "urgencies": {}, "defaults": {
        **default.defaults, "accept": {"minutes": 30},
        "resolve": {**default.defaults["resolve"], "grid": {"whole_working_days": 1}}}})

    as_recorded, skipped = replay(p.events, CAL, None)
    assert as_recorded.status is Status.CLOSED
    assert (as_recorded.units[GRID].accept_breaches, as_recorded.units[GRID].resolve_breaches) == (0, 0)
    assert skipped == 1  # the close that came with the visit is refused as a command: the visit closed it

    state, skipped = replay(p.events, CAL, strict.rules_for)
    grid, community = state.units[GRID], state.units[COMMUNITY]
    # the grid: accept due Mon 09:30, accepted 10:00 (1 breach); resolve due Tue 24 Nov 17:30, the office's
    # close of one whole working day from the next, passed unresolved (1 breach), so it climbs (1 escalation)
    assert (grid.accept_breaches, grid.resolve_breaches, grid.escalations_by_deadline) == (1, 1, 1)
    # the community gets it Tue 17:30: accept due 18:00, passed (1 breach); its resolve is due three whole
    # working days later, Fri 27 Nov 17:30, after the last recorded event (no breach)
    assert (community.received, community.accept_breaches, community.resolve_breaches) == (1, 1, 0)
    assert state.rung.unit_code == COMMUNITY and state.status is Status.DISPATCHED
    assert (state.assignment.accept_due, state.assignment.resolve_due) == (at(2026, 11, 24, 18),
                                                                           at(2026, 11, 27, 17, 30))
    # the community never accepted, so the resolve, the visit and the close recorded Wednesday are skipped
    assert skipped == 3

    tally = Tally()
    tally.add(state, skipped)
    assert tally.as_dict() == {
        "petitions": 1, "breaches": 3, "accept_breaches": 2, "resolve_breaches": 1, "escalations_by_deadline": 1,
        "closed": 0, "skipped_actions": 3,
        "by_level": {"grid": {"breaches": 2, "escalations_by_deadline": 1},
                     "community": {"breaches": 1, "escalations_by_deadline": 0}}}
