"""Figures by channel (issue 14 §7): how each way in — the grid worker's app, the 12345 hotline, a visit day,
物业110, the web, Open311, staff — performs over a period, for `GET /v1/channels/summary`.

The rates are THE rates of the scorecards (`RateCounts`, docs/evaluation.md) summed over every unit's record
on the petitions of the channel closed in the period; on-the-spot share and times are per petition. Pure: the
caller passes the period's facts (already narrowed to the caller's units) and the reports counted per channel.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from domain.enums import Channel
from domain.evaluation import excluded, held, quantile, rate_counts


class ChannelFigures(BaseModel):
    """One channel's figures over a period. Rates are 0–1 (None: nothing behind them), hours are hours."""

    channel: str = Field(description="the channel's code (`Channel`)")
    channel_label: str = Field(description="its Chinese label")
    reported: int = Field(description="petitions reported through it in the period (Beijing time), whatever their "
                                      "state now, including those answered or triaged at intake")
    closed: int = Field(description="petitions through it closed in the period with a unit's record (the rates' "
                                    "petitions)")
    rated: int = Field(description="of them, in the rates (not excluded: duplicates, withdrawn, not government "
                                   "duties, returned away)")
    resolved_on_the_spot: int = Field(description="rated petitions resolved on the spot (就地解决)")
    on_the_spot_share: float | None = Field(description="resolved_on_the_spot / rated")
    hours_to_accept_median: float | None = Field(description="median hours from a work order to its acceptance")
    hours_to_resolve_median: float | None = Field(description="median hours from a work order to its resolution")
    # the three rates sum every unit's record on the channel's petitions, as one card of them all would
    response_rate: float | None = Field(description="响应率: work orders accepted in time / work orders due")
    resolution_rate: float | None = Field(description="解决率: units' rated records resolved / rated records "
                                                      "(a petition that climbed counts once per unit that held it)")
    satisfaction_rate: float | None = Field(description="满意率: satisfied or basically satisfied / visited "
                                                        "(units' records)")


def channel_figures(facts: Iterable[dict[str, Any]], reported: dict[str, int]) -> list[ChannelFigures]:
    """Every channel's figures, in `Channel` order, one row per channel (zeros for a channel unused).

    `facts`: evaluation facts (dicts with `petition_id`, `channel` and the fields `RateCounts.of` and
    `scorecard` read) of the period's closed petitions; `reported`: petitions reported per channel code.
    A channel named by the facts or `reported` but not in `Channel` (an old code) comes last."""
    by_channel: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for fact in facts:
        by_channel[fact["channel"]].append(fact)
    codes = [c.value for c in Channel]
    codes += sorted((set(by_channel) | set(reported)) - set(codes))
    return [_figures(code, by_channel.get(code, []), reported.get(code, 0)) for code in codes]


def _figures(code: str, facts: list[dict[str, Any]], reported: int) -> ChannelFigures:
    kept = [f for f in facts if held(f)]
    rates = rate_counts(kept).rates()
    rated = {f["petition_id"] for f in kept if not excluded(f)}
    on_the_spot = {f["petition_id"] for f in kept if not excluded(f) and f.get("resolved_on_the_spot")}
    to_accept = [f["seconds_to_accept"] / 3600 for f in kept if f.get("seconds_to_accept") is not None]
    to_resolve = [f["seconds_to_resolve"] / 3600 for f in kept if f.get("seconds_to_resolve") is not None]
    label = Channel(code).label if code in {c.value for c in Channel} else code
    return ChannelFigures(
        channel=code, channel_label=label, reported=reported, closed=len({f["petition_id"] for f in kept}),
        rated=len(rated), resolved_on_the_spot=len(on_the_spot),
        on_the_spot_share=round(len(on_the_spot) / len(rated), 4) if rated else None,
        hours_to_accept_median=quantile(to_accept, 0.5), hours_to_resolve_median=quantile(to_resolve, 0.5),
        response_rate=rates["response_rate"], resolution_rate=rates["resolution_rate"],
        satisfaction_rate=rates["satisfaction_rate"])
