"""Figures by channel (issue 14 §7): given the period's facts and reports, each channel's rates, times and share."""

from __future__ import annotations

from domain.channel_figures import channel_figures
from domain.enums import Channel
from tests.unit.test_scorecards import fact


def _on(channel: str, petition: str, **values) -> dict:
    return fact(**values) | {"channel": channel, "petition_id": petition}


def test_each_channel_counts_its_own_petitions_and_rates_the_way_cards_do():
    facts = [
        _on("grid_worker", "P1", received=1, accepted=1, accepted_in_time=1, resolved=1, resolved_in_time=1,
            resolved_on_the_spot=1, visit_outcome="satisfied", seconds_to_accept=0, seconds_to_resolve=0),
        _on("grid_worker", "P2", received=1, accepted=1, accepted_in_time=1, resolved=1, resolved_in_time=1,
            visit_outcome="dissatisfied", seconds_to_accept=3600, seconds_to_resolve=7200),
        # P3 climbed: the grid let it pass, the community resolved it
        _on("hotline", "P3", received=1, resolve_breaches=1, escalations_by_deadline=1),
        _on("hotline", "P3", received=1, accepted=1, accepted_in_time=1, resolved=1, visit_outcome="satisfied",
            seconds_to_accept=7200, seconds_to_resolve=36000),
        _on("hotline", "P4", received=1, accepted=1, accepted_in_time=1, close_outcome="duplicate"),
    ]
    figures = {f.channel: f for f in channel_figures(facts, {"grid_worker": 3, "hotline": 5, "web": 1})}
    assert list(figures) == [c.value for c in Channel]
    grid, hotline, web = figures["grid_worker"], figures["hotline"], figures["web"]
    assert (grid.reported, grid.closed, grid.rated, grid.resolved_on_the_spot) == (3, 2, 2, 1)
    assert (grid.on_the_spot_share, grid.satisfaction_rate, grid.resolution_rate) == (0.5, 0.5, 1.0)
    assert (grid.hours_to_accept_median, grid.hours_to_resolve_median) == (0.5, 1.0)
    # P3 is one petition with two units' records; the duplicate P4 leaves the rated petitions
    assert (hotline.reported, hotline.closed, hotline.rated, hotline.resolved_on_the_spot) == (5, 2, 1, 0)
    # the rates sum the units' records, as a card of the whole district would: the grid's missed order counts
    assert (hotline.response_rate, hotline.resolution_rate, hotline.satisfaction_rate) == (0.6667, 0.5, 1.0)
    assert hotline.on_the_spot_share == 0.0
    assert (web.reported, web.closed, web.response_rate, web.on_the_spot_share) == (1, 0, None, None)


def test_a_channel_no_longer_known_still_shows_last():
    figures = channel_figures([_on("fax", "P9", received=1, accepted=1, accepted_in_time=1)], {"fax": 1})
    assert (figures[-1].channel, figures[-1].channel_label, figures[-1].reported) == ("fax", "fax", 1)
