"""Keyset cursors: opaque, round-tripping, and refused with a clear reason when forged or misplaced."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from api import cursors

AT = datetime(2026, 11, 29, 1, 30, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize("last_id", ["JH20261129-0001", 4711])
def test_a_cursor_round_trips_without_padding(last_id):
    made = cursors.encode("newest", AT, last_id)
    assert "=" not in made and "/" not in made and "+" not in made
    assert cursors.decode(made) == ("newest", AT, last_id)


def test_no_running_clock_sorts_last_and_round_trips():
    assert cursors.decode_sorted(cursors.encode("deadline", cursors.NEVER, "JH1"), "deadline") == (cursors.NEVER,
                                                                                                  "JH1")


def test_a_cursor_of_another_sort_says_which_it_is():
    with pytest.raises(cursors.InvalidCursor, match="belongs to sort=newest"):
        cursors.decode_sorted(cursors.encode("newest", AT, "JH1"), "deadline")


@pytest.mark.parametrize("forged", [
    "not base64!", "", base64.urlsafe_b64encode(b"[1, 2]").decode(), base64.urlsafe_b64encode(b"{}").decode(),
    base64.urlsafe_b64encode(b'["newest", "yesterday", "JH1"]').decode(),
    base64.urlsafe_b64encode(b'["newest", 5, "JH1"]').decode(),
])
def test_a_forged_cursor_is_not_one_this_api_handed_out(forged):
    with pytest.raises(cursors.InvalidCursor, match="not one this API handed out"):
        cursors.decode(forged)
