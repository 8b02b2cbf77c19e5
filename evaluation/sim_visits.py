"""The simulated month's visit days (民意"5"来听, issue 14 §4): every team's rounds of the month, the matters
residents raise, and each matter's petition played to its close, all by the pure domain on a simulated clock.

Proportions: Yanzhou's 287 teams collected 3,611 matters in a year (36 visit days): about 0.35 a round. The
demo org has a handful of teams, so a round here collects 0-3 (1.25 on average, about 3.5 times the seed's
rate) so that every team shows figures; about two in three are resolved on the spot by the team (the seed's
"80 % solved near home"), the rest handed on into the ladder. Rounds open at 08:30 and close at 17:30 of the
day they are held (the 5th, 15th, 25th, moved to the next working day). Petition streams are `SIM<yyyymm>-V<n>`;
a month already simulated for a team's round is left as it is.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

import asyncpg

from config.reference_data import load_policy, work_calendar
from domain.enums import Channel, Level, Role, Urgency
from domain.evaluation import Period
from domain.events import event_data
from domain.model import Actor
from domain.timeline import Timeline
from domain.visit_days import (
    decide_close,
    decide_matter,
    decide_open,
    fold_round,
    round_id,
    visit_days_of_month,
)
from domain.workcalendar import CHINA
from evaluation.lives import Life
from evaluation.simulate import MISROUTED, play, sim_event_id
from eventstore.petition_projection import petition_row
from eventstore.store import EventStore, NewEvent
from eventstore.visit_rounds import append_round, read_round
from org.model import OrgTree, VisitTeam
from services.intake_command import Intake, VisitMatter, report_command, route

MATTERS_PER_ROUND = (0, 0, 1, 1, 1, 2, 2, 3)  # drawn per round: 1.25 on average
ON_THE_SPOT_SHARE = 0.65
OPENS, CLOSES = time(8, 30), time(17, 30)
# what residents raise on a visit day, by category of the demo org (those it has)
RAISED = ("sanitation", "municipal_facilities", "greening", "property_management", "elderly_care", "noise",
          "social_assistance", "employment", "heating", "water_supply")


class VisitLife(Life):
    """A matter raised to a visit team, as its petition's life: reported through the visit channel with the team on
    it (on the spot: resolved at its grid at once), then carried on like any simulated petition."""

    def __init__(self, petition_id: str, org: OrgTree, at: datetime, grid: str, category: str, cadre: Actor,
                 matter: VisitMatter) -> None:
        Timeline.__init__(self, petition_id, at, work_calendar())
        policy = load_policy("default")
        rules = policy.rules_for(category, Urgency.NORMAL)
        what = f"民意\"5\"来听: {org.categories[category].name}问题"
        intake = Intake(actor=cadre, category=category, description=what, channel=Channel.VISIT, grid_code=grid,
                        address=org.units[grid].name, reporter_name="李四", reporter_phone="13900000000", visit=matter)
        self.send(report_command(intake, petition_id, route(org, grid, category, from_grid=matter.on_the_spot),
                                 "default", rules, tracks_delivery=False))


def _cadre(team: VisitTeam, rng: random.Random) -> Actor:
    """One of the team's cadres as the actor of a matter (department staff: the role their token carries)."""
    cadre = rng.choice(team.cadres)
    return Actor(id=cadre.id, name=cadre.name, unit_code=cadre.unit or team.district_code,
                 role=Role.DEPARTMENT_STAFF)


async def simulate_visit_days(pool: asyncpg.Pool, org: OrgTree, month: Period, seed: int) -> dict:
    """Play `month`'s visit rounds for every team of `org` (rounds already in the log are left alone) and append
    them with their matters' petitions; returns {rounds, matters, on_the_spot}."""
    rng = random.Random(seed * 7919 + 5)
    store, prefix = EventStore(pool), f"SIM{month.months[0]:%Y%m}-V"
    categories = [c for c in RAISED if c in org.categories] or sorted(org.categories)
    calendar = work_calendar()
    rounds = matters = on_the_spot = 0
    for first_month in month.months:
        for scheduled, held in visit_days_of_month(first_month.year, first_month.month, calendar.is_working_day):
            opened_at = datetime.combine(held, OPENS, CHINA).astimezone(UTC)
            for team in sorted(org.visit_teams.values(), key=lambda t: t.code):
                rid = round_id(team.code, scheduled)
                state, _ = await read_round(store, rid)
                if state.opened_at is not None:
                    continue
                leader = _cadre(team, rng)
                events: list = list(decide_open(state, team_code=team.code, district_code=team.district_code,
                                                units=team.visited_units, scheduled=scheduled, visit_date=held,
                                                now=opened_at, actor=leader))
                for n in range(rng.choice(MATTERS_PER_ROUND)):
                    at = opened_at + timedelta(minutes=rng.uniform(30, 8 * 60))
                    unit = rng.choice(team.visited_units)
                    grid = rng.choice(sorted(g.code for g in org.children(unit)))
                    spot = rng.random() < ON_THE_SPOT_SHARE
                    # on the spot: what its grid handles (and does not send back as misrouted)
                    category = rng.choice([c for c in categories if not spot or (
                        c not in MISROUTED and org.categories[c].start_level is Level.GRID)] or categories)
                    cadre = _cadre(team, rng)
                    matter = VisitMatter(team.code, rid, spot, "已现场协调解决" if spot else "",
                                         ("https://img.example.cn/visit.jpg",) if spot else ())
                    pid = f"{prefix}{team.code}-{scheduled:%d}-{n}"
                    life = play(VisitLife(pid, org, at, grid, category, cadre, matter), org, rng)
                    stored = [NewEvent(event_id=sim_event_id(pid, i), type=e.type, data=event_data(e),
                                       occurred_at=e.at) for i, e in enumerate(life.events, start=1)]
                    await store.append(pid, 0, stored, petition_row(life.state, life.events[-1].at.isoformat()))
                    events += decide_matter(fold_round(rid, events), petition_id=pid, unit_code=unit, grid_code=grid,
                                            category=category, on_the_spot=spot, now=at, actor=cadre)
                    matters, on_the_spot = matters + 1, on_the_spot + spot
                closes_at = datetime.combine(held, CLOSES, CHINA).astimezone(UTC)
                events += decide_close(fold_round(rid, events), now=closes_at, actor=leader, by_schedule=True)
                await append_round(pool, rid, 0, events, [sim_event_id(rid, i) for i in range(1, len(events) + 1)])
                rounds += 1
    return {"rounds": rounds, "matters": matters, "on_the_spot": on_the_spot}
