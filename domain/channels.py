"""The channel is a fact, not a claim (issue 14 §6): it follows from how a report arrived and who reported it.

- `POST /v1/petitions` (a cadre with a token): the reporter's role gives the channel (`CHANNELS_OF_ROLE`,
  the first is the default); a channel the role does not use is refused. No token makes `open311`.
- the hotline's intake (`POST /v1/hotline/calls`): always `hotline`.
- on the spot (`POST /v1/petitions/on-the-spot`): always `grid_worker`.
- the Open311 endpoint: always `open311`, and only it.
- a visit team's matter (`POST /v1/visit-rounds/{round_id}/matters`): always `visit`, and only it.
- 物业110 (`POST /v1/property-hotline/calls`, issue 14 §3): always `property_hotline`, and only it.

Pure: no I/O.
"""

from __future__ import annotations

from domain.enums import Channel, Role
from domain.errors import InvalidCommand

# Each reporting role's channels through the plain report, its default first. A grid worker's report is
# the grid worker's; the 12345 desk takes calls and the web platform's messages; staff of a community,
# street, department or property company report what they found (工作人员发现上报). A visit day's matter
# (issue 14 §4) comes only through the visit round's own route, never through the plain report.
CHANNELS_OF_ROLE: dict[Role, tuple[Channel, ...]] = {
    Role.GRID_WORKER: (Channel.GRID_WORKER,),
    Role.COMMUNITY_STAFF: (Channel.STAFF,),
    Role.STREET_STAFF: (Channel.STAFF,),
    Role.DEPARTMENT_STAFF: (Channel.STAFF,),
    Role.PROPERTY_STAFF: (Channel.STAFF,),
    Role.DISPATCHER: (Channel.HOTLINE, Channel.WEB),
    Role.ADMIN: (Channel.STAFF, Channel.HOTLINE, Channel.WEB),
}


class ChannelRefused(InvalidCommand):
    """A channel the reporter's role does not report through; the message names the ones it does (422)."""

    code = "channel_not_allowed"


def channel_of(role: Role, claimed: Channel | None = None) -> Channel:
    """The channel of a report by `role` through the plain report: its default, or `claimed` if the role
    uses it. Raises ChannelRefused otherwise (`open311`: only the Open311 endpoint makes those)."""
    own = CHANNELS_OF_ROLE.get(role, ())
    if claimed is None:
        if not own:
            raise ChannelRefused(f"a {role.value} ({role.label}) does not report petitions", field="channel")
        return own[0]
    if claimed in own:
        return claimed
    if claimed is Channel.OPEN311:
        raise ChannelRefused("channel: only the Open311 endpoint (/open311/v2/requests) makes open311 reports",
                             field="channel")
    if claimed is Channel.PROPERTY_HOTLINE:
        raise ChannelRefused("channel: only the 物业110 intake (POST /v1/property-hotline/calls, naming the compound) "
                             "makes property_hotline reports", field="channel")
    allowed = ", ".join(f"{c.value} ({c.label})" for c in own) or "none"
    raise ChannelRefused(f"channel: a {role.value} ({role.label}) reports through {allowed}, not {claimed.value} "
                         f"({claimed.label}); leave channel out to use the first", field="channel")
