"""Scorecards of units over a period: live from the facts, or frozen in a published edition; which cards a
view shows and how they rank.

It may not read the tables itself (`eventstore/evaluation_queries.py` does) nor decide who may see a card
(callers pass the units their scope allows).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from domain.enums import Channel, UnitKind
from domain.errors import InvalidCommand
from domain.evaluation import Period, Scorecard, ScoringWeights, on_the_spot_areas, rank, scorecard, with_area
from eventstore import evaluation_queries as queries
from org.model import OrgTree, Unit
from org.routing import LEVEL_OF_KIND


@dataclass
class CardSet:
    """The cards of a period, and where they come from (a frozen edition, or live and provisional)."""

    period: str
    cards: list[Scorecard]
    edition: int | None = None
    published_at: datetime | None = None
    appeal_due: datetime | None = None
    reason: str | None = None
    editions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def provisional(self) -> bool:
        """Whether the cards are live figures (no edition frozen them)."""
        return self.edition is None


def unit_fields(unit: Unit | None, code: str, name: str) -> dict[str, str]:
    """The identity fields of a card: the unit's code, name, kind, level, parent and district from the org (a unit no
    longer in it keeps `name` and blanks)."""
    parent = unit.parent_code if unit else None
    return {"unit_code": code, "unit_name": unit.name if unit else name, "kind": unit.kind.value if unit else "",
            "level": LEVEL_OF_KIND[unit.kind].value if unit and unit.kind in LEVEL_OF_KIND else "",
            "parent_code": parent or "",
            "district_code": (unit.district_code or "") if unit else ""}


async def live_cards(conn: asyncpg.Connection, org: OrgTree, period: Period, weights: ScoringWeights,
                     channel: Channel | None = None) -> list[Scorecard]:
    """Every unit with facts in the period, scored now (ranked within its kind); with `channel`, only the
    petitions reported through it (issue 14 §7: a company's residents' round score stays on its card, but a
    company with no petitions of the channel gets none)."""
    by_unit: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in await queries.facts(conn, period.months, channel=channel.value if channel else None):
        by_unit[row["unit_code"]].append(row)
    property_scores = await _property_scores(conn, period)
    cards = [scorecard(unit_fields(org.units.get(code), code, facts[0]["unit_name"]), facts, weights,
                       property_scores.get(code)) for code, facts in by_unit.items()]
    for code, score in property_scores.items():  # a company scored by residents but with no petitions
        if code not in by_unit and channel is None:
            cards.append(scorecard(unit_fields(org.units.get(code), code, code), [], weights, score))
    return _ranked_by_kind(_with_areas(cards, by_unit, org, weights))


# the kinds whose cards show the share of their area's petitions resolved on the spot (issue 14 §1), even in a
# month in which they held none themselves (their grids solved everything near home)
NEAR_HOME = (UnitKind.GRID, UnitKind.COMMUNITY, UnitKind.STREET)


def _with_areas(cards: list[Scorecard], by_unit: dict[str, list[dict[str, Any]]], org: OrgTree,
                weights: ScoringWeights) -> list[Scorecard]:
    """Every card with its area's on-the-spot figures; grids, communities and streets with an area but no
    petitions of their own get a card of their own (no rates: unranked)."""
    def parent_of(code: str) -> str | None:
        unit = org.units.get(code)
        return unit.parent_code if unit is not None else None

    areas = on_the_spot_areas((f for facts in by_unit.values() for f in facts), parent_of)
    out = [with_area(card, areas[card.unit_code]) if card.unit_code in areas else card for card in cards]
    have = {card.unit_code for card in cards}
    for code, area in areas.items():
        unit = org.units.get(code)
        if code not in have and unit is not None and unit.kind in NEAR_HOME:
            out.append(with_area(scorecard(unit_fields(unit, code, code), [], weights), area))
    return out


async def corrected_cards(conn: asyncpg.Connection, org: OrgTree, period: Period, weights: ScoringWeights,
                          edition: int, unit_code: str) -> list[Scorecard]:
    """Edition `edition` with only `unit_code`'s card recomputed (after a correction of that unit): every
    other unit keeps its frozen figures, so a correction never pulls late petitions into others' cards."""
    frozen = await queries.published_cards(conn, period.text, edition)
    others = [card for card in _cards_of(frozen) if card.unit_code != unit_code]
    corrected = [c for c in await live_cards(conn, org, period, weights) if c.unit_code == unit_code]
    return _ranked_by_kind(others + corrected)


async def card_set(conn: asyncpg.Connection, org: OrgTree, period: Period, weights: ScoringWeights,
                   edition: int | None = None, live: bool = False, channel: Channel | None = None) -> CardSet:
    """A month's latest (or given) edition once published, else the live figures. Cut by `channel`, the
    cards are always computed from the facts (corrections included): an edition freezes the whole, not
    its channels. Raises InvalidCommand for an edition the month does not have, or with a channel."""
    editions = await editions_of(conn, period.text)
    if channel is not None:
        if edition is not None:
            raise InvalidCommand("an edition freezes every channel together; leave out edition to cut by channel",
                                 field="edition")
        return CardSet(period.text, await live_cards(conn, org, period, weights, channel), editions=editions)
    if not live and editions:
        chosen = editions[-1] if edition is None else next((e for e in editions if e["edition"] == edition), None)
        if chosen is not None:
            frozen = await queries.published_cards(conn, period.text, chosen["edition"])
            return CardSet(period.text, _cards_of(frozen), chosen["edition"], chosen["published_at"],
                           chosen["appeal_due"], chosen["reason"], editions)
    if edition is not None:
        raise InvalidCommand(f"{period.text} has no edition {edition}")
    return CardSet(period.text, await live_cards(conn, org, period, weights), editions=editions)


async def editions_of(conn: asyncpg.Connection, period: str) -> list[dict[str, Any]]:
    """The published editions of a month (`2026-11`), first to last (`evaluation_queries.editions`)."""
    return await queries.editions(conn, period)


def select(cards: list[Scorecard], org: OrgTree, kind: UnitKind | None = None, within: str | None = None,
           unit: str | None = None) -> list[Scorecard]:
    """Cards of one kind of unit, under one unit of the tree, or of one unit."""
    inside = org.subtree(within) if within else None
    chosen = [c for c in cards
              if (kind is None or c.kind == kind.value) and (inside is None or c.unit_code in inside)
              and (unit is None or c.unit_code == unit)]
    return sorted(chosen, key=lambda c: (c.kind, c.rank is None, c.rank or 0, c.unit_code))


def ranked_units(cards: list[Scorecard]) -> list[Scorecard]:
    """The cards a ranking compares: not those of a grid, community or street that only shows its area's
    on-the-spot share (no petitions of its own in the period: nothing to rank it on)."""
    return [c for c in cards if c.petitions or c.property_score is not None or not c.area_petitions]


def compared(cards: list[Scorecard], org: OrgTree, among: set[str] | None,
             within: str | None) -> list[Scorecard]:
    """THE ranking rule, for scorecards and rankings alike: the cards of the compared set (the units
    `among`, None: all, narrowed to the `within` subtree) ranked kind by kind by composite score,
    ties sharing a rank. A rank stored on a card (a frozen edition's) is replaced."""
    inside = org.subtree(within) if within else None
    chosen = [c.model_copy(update={"rank": None}) for c in cards
              if (among is None or c.unit_code in among) and (inside is None or c.unit_code in inside)]
    return _ranked_by_kind(chosen)


async def petitions_behind(conn: asyncpg.Connection, unit_code: str, period: Period,
                           channel: Channel | None = None) -> list[dict[str, Any]]:
    """The facts behind a unit's card (of one channel's petitions: None, all): each petition, its figures
    and the event they came from."""
    return await queries.facts(conn, period.months, unit_code, channel.value if channel else None)


async def _property_scores(conn: asyncpg.Connection, period: Period) -> dict[str, float]:
    """Residents' mean score per property company over the period's closed quarterly rounds."""
    if period.is_month:
        return {}
    quarters = sorted({Period.parse(f"{m.year}-{m.month:02d}").quarter for m in period.months})
    return await queries.property_scores(conn, quarters)


def _cards_of(frozen: list[dict[str, Any]]) -> list[Scorecard]:
    """Frozen cards (`published_scorecards.card`), as their edition stored them."""
    return [Scorecard.model_validate(card) for card in frozen]


def _ranked_by_kind(cards: list[Scorecard]) -> list[Scorecard]:
    kinds: dict[str, list[Scorecard]] = defaultdict(list)
    for card in cards:
        kinds[card.kind].append(card)
    return [card for group in kinds.values() for card in rank(group)]
