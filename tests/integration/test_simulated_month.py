"""A simulated month leaves no half-petitions: every simulated petition is closed (it has no
workflow to keep its clocks), so none sits open in a queue, overdue, answering 404 to a command."""

from __future__ import annotations

from domain.evaluation import Period
from evaluation.simulate import simulate_month


async def test_every_simulated_petition_is_closed_and_in_no_queue(pool, org, as_):
    # a month and a seed of its own: the session's database is shared, and event ids come from the seed
    written = await simulate_month(pool, org, Period.parse("2024-05"), 400, seed=4205)
    assert written["petitions"] == 400
    rows = await pool.fetch("SELECT * FROM petitions WHERE id LIKE 'SIM202405-%'")
    # the month's visit days (issue 14 §4) add their matters' petitions, closed like the rest
    visits = written["visit_days"]
    assert visits["rounds"] == 3 * len(org.visit_teams) and visits["matters"] > visits["on_the_spot"] > 0
    assert len(rows) == 400 + visits["matters"]
    assert len([r for r in rows if r["channel"] == "visit" and r["visit_team"]]) == visits["matters"]
    still_open = [(r["id"], r["status"], r["unit_code"]) for r in rows if r["status"] != "closed"]
    assert still_open == []
    assert [r["id"] for r in rows if r["closed_at"] is None or r["close_outcome"] is None] == []
    assert [r["id"] for r in rows if r["deadline_state"] == "overdue"] == []
    assert [r["id"] for r in rows if r["next_due"] or r["accept_due"] or r["resolve_due"] or r["visit_due"]] == []
    def staff_of(unit: str):
        role = {"grid": "grid_worker", "community": "community_staff", "street": "street_staff",
                "department": "department_staff", "property_company": "property_staff"}[org.units[unit].kind.value]
        return as_(role, unit)

    for unit in sorted({r["unit_code"] for r in rows if r["unit_code"]})[:12]:
        queue = (await staff_of(unit).get("/v1/queue", params={"limit": 200})).json()
        assert [i["petition"]["id"] for i in queue["items"] if i["petition"]["id"].startswith("SIM")] == []
    # its events record UTC like a live petition's
    events = (await staff_of(rows[0]["unit_code"]).get(f"/v1/petitions/{rows[0]['id']}/events")).json()
    assert events and all(e["data"]["at"].endswith("Z") and e["occurred_at"].endswith("Z") for e in events)
    # a command on one is refused as closed, not 404 as if it did not exist
    one = next(r for r in rows if r["level"] == "grid")
    accept = await staff_of(one["unit_code"]).post(f"/v1/petitions/{one['id']}/accept", {})
    assert accept.status_code == 409 and accept.json()["code"] == "petition_closed", accept.text


# --- issue 14 §3: 物业110 in the simulated month -----------------------------------------------------------------


async def test_a_simulated_month_holds_property_hotline_calls_on_the_companies_cards(pool, org, as_):
    await simulate_month(pool, org, Period.parse("2024-02"), 300, seed=1403)
    rows = await pool.fetch("SELECT * FROM petitions WHERE id LIKE 'SIM202402-%' AND channel = 'property_hotline'")
    assert 5 <= len(rows) <= 35, len(rows)  # about 5 % of 300
    assert all(r["compound"] and r["status"] == "closed" for r in rows)
    assert {org.units[r["compound"]].district_code for r in rows} == {"qufu"}
    cards = (await as_("supervisor", "qufu").get("/v1/property-rounds/2024-Q1/cards")).json()
    by_company = {c["company_code"]: c for c in cards}
    # the session's database is shared: other tests' simulated months of the quarter hold calls too
    assert sum(c["hotline_orders"] for c in cards) >= len(rows)
    assert by_company["pc-qfgongyi"]["hotline_orders"] > 0 and by_company["pc-qfgongyi"]["callbacks"] > 0
    assert by_company["pc-qfgongyi"]["received"] > 0 and by_company["pc-qfgongyi"]["satisfaction_rate"] is not None


async def test_two_months_played_with_one_seed_share_no_event(pool, org):
    """Simulated events' ids come from their stream and place in it: the same seed in another month writes
    its own events (ids drawn from the seed alone clashed across months)."""
    first = await simulate_month(pool, org, Period.parse("2023-03"), 12, seed=77, visit_days=False)
    second = await simulate_month(pool, org, Period.parse("2023-04"), 12, seed=77, visit_days=False)
    assert first["written"] == second["written"] == 12
    again = await simulate_month(pool, org, Period.parse("2023-04"), 12, seed=77, visit_days=False)
    assert again["written"] == 0  # a month played again writes nothing twice
