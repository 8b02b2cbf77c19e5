"""Groups of roles that the command catalogue grants commands to, named once.

The catalogue (`domain/catalogue.py`) says which roles may send each command; the decider then checks
the unit (the handling unit, the rung above). Only `URGING_ANYWHERE` is read by a decider rule itself,
because urging is the one command whose unit rule depends on the role. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet

from domain.enums import Role

# Staff of a unit that can hold a work order (a rung of the ladder: grid, community, street,
# district department, property company).
HANDLING = frozenset({Role.GRID_WORKER, Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.DEPARTMENT_STAFF,
                      Role.PROPERTY_STAFF})
# Staff of a unit that can be the rung above a work order (a community over its grids and property
# companies, a street over its communities, the district over its streets and departments).
OVERSEEING = frozenset({Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.SUPERVISOR, Role.DISPATCHER})
# 督办/催办 (urge): a supervisor, the hotline's dispatchers and admins push any open petition they see
# (DESIGN.md glossary: "a supervisor pushes an overdue or sensitive case"); other overseeing staff
# only the work orders of the units right below them (the decider's unit rule).
URGING_ANYWHERE = frozenset({Role.SUPERVISOR, Role.DISPATCHER, Role.ADMIN})
# The hotline's dispatch desk (分办流转) and admins re-route orders.
DISPATCHING = frozenset({Role.DISPATCHER, Role.ADMIN})
# Who may end a petition by hand or reopen it after it closed (结案 / 结案后重办).
CLOSING = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})
# Who calls the resident back (回访).
VISITING = frozenset({Role.RETURN_VISITOR, Role.DISPATCHER})
# Who lifts 终审 on an order sent back after a return (issue 11).
SUPERVISING = frozenset({Role.SUPERVISOR, Role.ADMIN})
# 就地解决 (issue 14 §1): the grid worker of the grid reports and resolves in one step.
ON_THE_SPOT = frozenset({Role.GRID_WORKER})
# The 12345 hotline's agents (the district's dispatch desk) and admins: triage calls at intake and link a
# caller about the same matter to the open petition (接诉即办 Art. 11).
HOTLINE = frozenset({Role.DISPATCHER, Role.ADMIN})
# issue 14 §4, 民意"5"来听: the cadres of a visit team come from district bodies (departments, streets,
# communities) with their staff tokens; membership of the team (org data) is checked by the visit desk.
# Admins record too (a round's paper tally entered later).
VISIT_CADRES = frozenset({Role.COMMUNITY_STAFF, Role.STREET_STAFF, Role.DEPARTMENT_STAFF, Role.ADMIN})
# 物业110 (issue 14 §3): who takes a property call — the customer service desk of the company that serves the
# compound (property staff), the street's property office (its street staff), the district's or street's
# dispatch desk (a call 12345 passes on) and admins; and who calls back after the company resolved (客服回访):
# the company's own customer service.
PROPERTY_HOTLINE = frozenset({Role.PROPERTY_STAFF, Role.STREET_STAFF, Role.DISPATCHER, Role.ADMIN})
COMPANY_CALLBACK = frozenset({Role.PROPERTY_STAFF})
# issue 14 §5: who merges a duplicate into the petition it duplicates (合并工单): whoever may close one as a
# duplicate (a merge is that close, keeping its reporters), i.e. the dispatch desk, supervisors and admins.
MERGING = CLOSING
# The workflow itself (timers, delivery receipts).
SYSTEM = frozenset({Role.SYSTEM})


def role_refusal(action: str, allowed: AbstractSet[Role]) -> str:
    """The words of a refusal by role, one wording for the API's 403 and the decider's NotPermitted:
    "<action> needs one of the roles: a, b"."""
    return f"{action} needs one of the roles: {', '.join(sorted(role.value for role in allowed))}"
