"""Figures by channel (issue 14 §7, `GET /v1/channels/summary`): the rates, times and on-the-spot share of
each way petitions come in, over a month, quarter or year, inside the caller's part of the org tree."""

from __future__ import annotations

import asyncpg

from domain.channel_figures import ChannelFigures, channel_figures
from domain.evaluation import Period
from eventstore import evaluation_queries as queries
from eventstore import petition_queries


async def channel_summary(conn: asyncpg.Connection, period: Period, reach: set[str] | None
                          ) -> list[ChannelFigures]:
    """Every channel's figures over `period`: the facts of units in `reach` (None: all) on petitions closed
    in the period, and the petitions reported in it handled or reported inside `reach`."""
    facts = [f for f in await queries.facts(conn, period.months) if reach is None or f["unit_code"] in reach]
    reported = await petition_queries.reported_by_channel(conn, period.months,
                                                          sorted(reach) if reach is not None else None)
    return channel_figures(facts, reported)
