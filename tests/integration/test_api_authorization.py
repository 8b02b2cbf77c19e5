"""The authorization matrix: every endpoint x every role x a unit inside the subtree, a unit outside it in
the same district and a unit of another district.

`ACCESS` holds one row per route of the app: who may call it and what scope it answers within. A
guard test fails when the app has a route without a row (or a row without a route), so an endpoint
cannot be added without deciding who may use it; the other tests exercise the rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.main import create_app
from api.scope import ROLES_OF_ACTION
from config.settings import Settings
from domain.evaluation import Period
from evaluation.simulate import simulate_month
from services.department_callbacks import CALLBACK_ACTIONS
from tests.integration.api_client import OPEN311_KEY, REPORT, SECRET

PUBLIC = "public: no token (health, docs, metrics; Open311 reads publish no personal data)"
API_KEY = "Open311 client: api_key of JIEHU_OPEN311_API_KEYS"
EVERYONE = "any person with a token: the org tree, categories, labels are not private"
OWN_QUEUE = "any person, their worklist: a unit's work orders and the requests waiting for its decision; a "\
            "dispatcher's returned orders and a return visitor's awaited visits, of grids in the caller's subtree"
ACCESS_LOG = "auditor or admin: records of petitions handled in the caller's subtree (admin: all); else 403"
PETITIONS = "petitions handled inside the caller's subtree (a department or company: its own); else 404"
REPORT_RULE = "roles of ROLES_OF_ACTION['report'], for grids in the caller's subtree (a district dispatcher: "\
              "its district); else 403"
COMMAND = "roles of ROLES_OF_ACTION[action], on petitions in the caller's subtree (else 403 out_of_scope); "\
          "dispatch: targets inside the dispatcher's street or district (test_api_scope.py)"
CARDS = "cards of the caller's unit and those below it; `unit`/`within` elsewhere: 404"
BEHIND = "the caller's unit or one below it; else 404"
RANKING = "units of the caller's district (admin: all); `within` elsewhere: 404"
INSIGHT = "facts of units below the caller; `unit` elsewhere: 404"
CHANNELS = "facts and reports of units below the caller (admin: all); `within` elsewhere: 404"
ROUND_READ = "the round, with the scores of the property companies below the caller"
CITY = "admin only: it acts on every district at once"
CORRECTION = "supervisor or admin, for a unit below the caller; else 403 out_of_scope"
PROPERTY_SCORE = "supervisor or admin, for a property company below the caller; else 403 out_of_scope"
WHAT_IF = "supervisor, dispatcher or admin; replays only petitions reported in the caller's grids"
FILE_APPEAL = "a handling unit's staff, about its own unit's record only; else 403 out_of_scope"
DECIDE_APPEAL = "supervisor or admin, for an appeal of a unit below the caller; else 403 out_of_scope"
APPEALS = "appeals of the caller's unit and those below it (admin: all)"
DEPT_SYSTEM = "a department's own system: no bearer token, the HMAC signature of one of its keys (org data "\
              "department_systems, secrets JIEHU_DEPARTMENT_KEYS); the handling unit's actions of CALLBACK_ACTIONS "\
              "(accept, progress, resolve, return, extension-request, escalate) on its own work orders only, else "\
              "403 out_of_scope (test_department_webhooks.py)"
SMS_GATEWAY = "the SMS gateway: no bearer token, the HMAC signature of a key of JIEHU_SMS_INBOUND_KEYS (none "\
              "configured: 404); a reply answers only the survey sent to its number (test_sms_survey.py)"
OPT_OUT = "roles of ROLES_OF_ACTION['resident-notifications'] (those who talk to residents), on petitions in "\
          "the caller's subtree (else 403 out_of_scope; test_notifications.py)"
ON_THE_SPOT = "roles of ROLES_OF_ACTION['report-on-the-spot'] (grid workers), for grids in the caller's subtree "\
              "(else 403 out_of_scope); the decider: only the grid's own worker"
HOTLINE_CALL = "roles of ROLES_OF_ACTION['hotline-call'] (the hotline's agents: dispatchers, admin), for grids in the "\
               "caller's subtree (a district dispatcher: its district; else 403 out_of_scope); same_matter: an open "\
               "petition the caller may see (else 404)"
# issue 14 §4, 民意"5"来听 visit days
VISIT_TEAMS = EVERYONE + " (visit teams are org data: cadres' names and bodies, the units each visits)"
VISIT_ROUNDS = "rounds and team figures of the caller's district (a city admin: all); a round elsewhere: 404"
VISIT_WRITE = "roles of ROLES_OF_ACTION['visit-matter'] (staff, admin) and, but for an admin, a cadre of the round's "\
              "team by token subject (else 403 out_of_scope); matters only in the communities the round visits "\
              "(test_visit_days.py)"
# issue 14 §3 (物业110)
PROPERTY_CALL = "roles of ROLES_OF_ACTION['property-hotline-call'], for a compound of the caller's desk: the property "\
                "staff of the company serving it, street staff of its street or the street's 物业办, a dispatcher of "\
                "its street or district, admin; else 403 out_of_scope (unknown compound: 404)"
COMPANY_CARDS = "the quarterly cards of the property companies below the caller (a company: its own; admin: all)"
CALENDAR_LOAD = "admin of the city level (no unit): the holiday arrangement is every district's calendar; "\
                "else 403 (the city admin's load: test_calendar_load.py, on a database of its own)"

COMMANDS = ("accept", "return", "allow-return", "escalate", "extension-request", "extension-decision", "pause",
            "resume", "progress", "resolve", "urge", "return-visit", "dispatch", "close", "reopen", "link-caller",
            "linked-caller-visit",
            "company-callback",  # issue 14 §3
            "merge", "burst")  # issue 14 §5 (test_duplicates.py: merges that succeed, by role and scope)
OPEN311_READS = ("/discovery.{fmt}", "/services.{fmt}", "/services/{service_code}.{fmt}", "/requests.{fmt}",
                 "/requests/{service_request_id}.{fmt}", "/tokens/{token}.{fmt}")
ACCESS: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): PUBLIC, ("GET", "/readyz"): PUBLIC, ("GET", "/metrics"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC, ("GET", "/docs"): PUBLIC, ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    **{("GET", f"/open311/v2{path}"): PUBLIC for path in OPEN311_READS},
    ("POST", "/open311/v2/requests.{fmt}"): API_KEY,
    ("GET", "/v1/units"): EVERYONE, ("GET", "/v1/units/{code}"): EVERYONE, ("GET", "/v1/categories"): EVERYONE,
    ("GET", "/v1/labels"): EVERYONE, ("GET", "/v1/queue"): OWN_QUEUE, ("GET", "/v1/access-log"): ACCESS_LOG,
    ("GET", "/v1/calendar/{year}"): EVERYONE, ("PUT", "/v1/calendar/{year}"): CALENDAR_LOAD,
    ("POST", "/v1/petitions"): REPORT_RULE, ("GET", "/v1/petitions"): PETITIONS,
    ("POST", "/v1/petitions/on-the-spot"): ON_THE_SPOT, ("POST", "/v1/hotline/calls"): HOTLINE_CALL,
    ("GET", "/v1/petitions/{petition_id}"): PETITIONS, ("GET", "/v1/petitions/{petition_id}/events"): PETITIONS,
    ("GET", "/v1/petitions/{petition_id}/notifications"): PETITIONS,
    ("PUT", "/v1/petitions/{petition_id}/resident-notifications"): OPT_OUT,
    **{("POST", f"/v1/petitions/{{petition_id}}/{action}"): COMMAND for action in COMMANDS},
    ("GET", "/v1/scorecards"): CARDS, ("GET", "/v1/rankings"): RANKING,
    ("GET", "/v1/scorecards/{unit_code}/petitions"): BEHIND,
    ("POST", "/v1/scorecards/publish"): CITY, ("POST", "/v1/scorecards/corrections"): CORRECTION,
    ("POST", "/v1/property-rounds"): CITY, ("POST", "/v1/property-rounds/{quarter}/close"): CITY,
    ("POST", "/v1/property-rounds/{quarter}/scores"): PROPERTY_SCORE,
    ("GET", "/v1/property-rounds/{quarter}"): ROUND_READ,
    ("GET", "/v1/insight"): INSIGHT, ("POST", "/v1/insight/what-if"): WHAT_IF,
    ("GET", "/v1/channels/summary"): CHANNELS,
    ("POST", "/v1/appeals"): FILE_APPEAL, ("POST", "/v1/appeals/{appeal_id}/decision"): DECIDE_APPEAL,
    ("GET", "/v1/appeals"): APPEALS,
    ("POST", "/v1/departments/{code}/callbacks"): DEPT_SYSTEM,
    ("POST", "/v1/sms/inbound"): SMS_GATEWAY,
    # the web console (issue 15): its files and how to sign in hold nothing private; `/v1/me` is the caller's own
    # token read back; `POST /v1/dev/tokens` exists only on `jiehu dev` (test_console_api.py)
    ("GET", "/"): PUBLIC, ("GET", "/console"): PUBLIC, ("GET", "/console/{path:path}"): PUBLIC,
    ("GET", "/v1/sign-in"): PUBLIC, ("GET", "/v1/me"): EVERYONE, ("GET", "/v1/overview"): PETITIONS,
    # issue 14 §4
    ("GET", "/v1/visit-teams"): VISIT_TEAMS, ("GET", "/v1/visit-teams/{code}"): VISIT_TEAMS,
    ("GET", "/v1/visit-teams/figures"): VISIT_ROUNDS, ("GET", "/v1/visit-rounds"): VISIT_ROUNDS,
    ("GET", "/v1/visit-rounds/{round_id}"): VISIT_ROUNDS,
    ("POST", "/v1/visit-rounds/{round_id}/matters"): VISIT_WRITE,
    ("POST", "/v1/visit-rounds/{round_id}/close"): VISIT_WRITE,
    # issue 14 §3 (物业110)
    ("GET", "/v1/compounds"): EVERYONE, ("POST", "/v1/property-hotline/calls"): PROPERTY_CALL,
    ("GET", "/v1/property-rounds/{quarter}/cards"): COMPANY_CARDS,
}

# (role, a unit whose subtree holds the petition, a unit outside that subtree in the same district, a unit of
# another district); the petition sits at 太白社区第1网格 (rc-yuehe-taibai-g1, Rencheng). None: no such unit.
PEOPLE = [
    ("grid_worker", "rc-yuehe-taibai-g1", "rc-jiyang-caoqiao-g1", "yz-gulou-fuqian-g1"),
    ("community_staff", "rc-yuehe-taibai", "rc-jiyang-caoqiao", "yz-gulou-fuqian"),
    ("street_staff", "rc-yuehe", "rc-jiyang", "yz-gulou"),
    ("department_staff", None, "rencheng-water", "qufu-water"),  # sees an order once it reaches it (below)
    ("property_staff", None, "pc-shuijing", "pc-qfgongyi"),
    ("dispatcher", "rencheng", "rc-jiyang", "yanzhou"),
    ("return_visitor", "rencheng", "rc-jiyang", "yanzhou"),
    ("supervisor", "rencheng", "rc-jiyang", "yanzhou"),
    ("auditor", "rencheng", "rc-jiyang", "yanzhou"),
    ("admin", "", None, None),
]
PERSONAL = ("陈秀英", "13805371234")  # REPORT's reporter: never in a public answer

BODIES = {
    "accept": {}, "return": {"reason": "不属本单位"}, "allow-return": {"reason": "确属职能不符"},
    "escalate": {"reason": "无权处理"},
    "extension-request": {"duration": {"whole_working_days": 1}, "reason": "协调"},
    "extension-decision": {"approve": True}, "pause": {"reason": "等待群众"}, "resume": {},
    "progress": {"note": "处理中"}, "resolve": {"result": "已处理"}, "urge": {"note": "请尽快"},
    "return-visit": {"outcome": "satisfied"}, "dispatch": {"unit_code": "rc-yuehe-yuehe"},
    "close": {"outcome": "withdrawn", "explanation": "群众撤回"},
    "reopen": {"reason": "群众再次来电", "contact_phone": "13805379999"},  # an open petition: 409 for the allowed
    "link-caller": {"reason": "同一事项无新情况", "caller_phone": "13905370000"},
    "linked-caller-visit": {"caller": 1, "outcome": "satisfied"},  # nobody linked, not resolved: 409 for the allowed
    "company-callback": {"outcome": "satisfied"},  # issue 14 §3: not resolved by a company: 409 for the allowed
    # issue 14 §5: into a petition nobody may see (422 invalid_into for the allowed); a burst of words no other
    # report says, over before long (the session's database is shared)
    "merge": {"into": "JH-MATRIX-NONE", "reason": "同一事项"},
    "burst": {"until": (datetime.now(UTC) + timedelta(minutes=10)).isoformat(), "reason": "授权矩阵",
              "keywords": ["授权矩阵专用突发词"]},
}
MONTH, QUARTER = "2025-07", "2025-Q3"  # of their own: the session's database is shared


def people() -> list[tuple[str, str, str]]:
    """(role, unit, where the unit stands: inside / same_district / other_district)."""
    return [(role, unit, where) for role, *units in PEOPLE
            for unit, where in zip(units, ("inside", "same_district", "other_district"), strict=True)
            if unit is not None]


def allowed(action: str, role: str) -> bool:
    return role in {r.value for r in ROLES_OF_ACTION[action]}


def below(org, reader: str, unit: str) -> bool:
    """The spec of tree scope: admin sees all, anyone else its unit and everything below it."""
    return reader == "" or unit in org.subtree(reader)


def same_district(org, reader: str, unit: str) -> bool:
    return reader == "" or org.units[reader].district_code == org.units[unit].district_code


def app_routes(app) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, HEAD aside, through included routers."""
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        contexts = route.effective_route_contexts() if hasattr(route, "effective_route_contexts") else [route]
        for context in contexts:
            found |= {(method, context.path) for method in context.methods or () if method != "HEAD"}
    return found


def test_every_route_has_a_row_in_the_matrix():
    routes = app_routes(create_app(Settings(jwt_secret=SECRET)))
    missing, stale = sorted(routes - set(ACCESS)), sorted(set(ACCESS) - routes)
    assert not missing, f"decide who may call these and add them to ACCESS (and a test): {missing}"
    assert not stale, f"ACCESS names routes the app no longer has: {stale}"


@pytest.mark.parametrize("action", sorted(BODIES))
async def test_commands_by_role_and_scope(as_, action):
    assert set(BODIES) == set(COMMANDS)
    grid = as_("grid_worker", "rc-yuehe-taibai-g1")
    shared = (await grid.report())["id"]
    for role, unit, where in people():
        if where != "inside":
            response = await as_(role, unit).post(f"/v1/petitions/{shared}/{action}", BODIES[action])
            code = "role_not_allowed" if not allowed(action, role) else "out_of_scope"
            assert (response.status_code, response.json()["code"]) == (403, code), (role, unit, action)
            continue
        pid = (await grid.report())["id"]  # a fresh petition: an allowed command may change it
        response = await as_(role, unit).post(f"/v1/petitions/{pid}/{action}", BODIES[action])
        if not allowed(action, role):
            assert (response.status_code, response.json()["code"]) == (403, "role_not_allowed"), (role, action)
        else:
            # the role may try; the workflow then judges the unit and the state, never with a 5xx
            assert response.status_code in (200, 403, 409, 422), (role, action, response.text)
            if response.status_code == 403:
                assert response.json()["code"] == "not_permitted"


async def test_reporting_by_role_and_scope(as_):
    for role, unit, where in people():
        response = await as_(role, unit).post("/v1/petitions", REPORT)
        if not allowed("report", role):
            assert (response.status_code, response.json()["code"]) == (403, "role_not_allowed"), role
        elif where == "inside":
            assert response.status_code == 201, (role, unit, response.text)
        else:
            assert (response.status_code, response.json()["code"]) == (403, "out_of_scope"), (role, unit)


async def test_on_the_spot_and_hotline_calls_by_role_and_scope(as_):
    spot = REPORT | {"result": "已当场处理", "evidence_urls": ["https://img.example.cn/a.jpg"]}
    call = REPORT | {"request_type": "consultation", "outcome": "answered", "reason": "咨询", "answer": "已答复"}
    call = {k: v for k, v in call.items() if not k.startswith("reporter")}
    for role, unit, where in people():
        for path, body, action in (("/v1/petitions/on-the-spot", spot, "report-on-the-spot"),
                                   ("/v1/hotline/calls", call, "hotline-call")):
            response = await as_(role, unit).post(path, body)
            if not allowed(action, role):
                assert (response.status_code, response.json()["code"]) == (403, "role_not_allowed"), (role, path)
            elif where == "inside":
                assert response.status_code == 201, (role, unit, path, response.text)
            else:
                assert (response.status_code, response.json()["code"]) == (403, "out_of_scope"), (role, unit, path)


async def test_visit_days_by_role_and_scope(as_, http, pool, org):
    """Issue 14 §4: teams are everyone's to read; rounds and figures the caller's district's; nobody but a cadre
    of the team (or an admin) records a matter or closes a round, whatever their role and unit."""
    from datetime import UTC, date, datetime

    from config.reference_data import work_calendar
    from services.visit_days import VisitDesk

    opened = await VisitDesk(pool, work_calendar).open_rounds(org, date(2026, 9, 15),
                                                               datetime(2026, 9, 15, 0, 30, tzinfo=UTC))
    rid = next(r for r in opened if r.startswith("visit-round-vt-rc-yuehe-"))
    for role, unit, _where in people():
        caller = as_(role, unit)
        assert (await caller.get("/v1/visit-teams")).status_code == 200, (role, unit)
        assert (await caller.get("/v1/visit-teams/vt-yz-gulou")).status_code == 200, (role, unit)
        district = org.units[unit].district_code if unit else None
        rounds = await caller.get("/v1/visit-rounds", params={"date": "2026-09-15"})
        assert rounds.status_code == 200, (role, unit)
        expected = {district} & {"rencheng", "yanzhou"} if district else {"rencheng", "yanzhou"}  # Qufu: no teams
        assert {r["district_code"] for r in rounds.json()["items"]} == expected, (role, unit)
        one = await caller.get(f"/v1/visit-rounds/{rid}")
        assert one.status_code == (200 if district in (None, "rencheng") else 404), (role, unit)
        figures = await caller.get("/v1/visit-teams/figures", params={"period": "2026-09"})
        assert figures.status_code == 200 and all(
            district is None or t["district_code"] == district for t in figures.json()["teams"]), (role, unit)
        for path, body in ((f"/v1/visit-rounds/{rid}/matters", REPORT), (f"/v1/visit-rounds/{rid}/close", None)):
            if role == "admin":
                continue  # the city admin may; its close would end the round for the others
            response = await caller.post(path, body)
            code = "role_not_allowed" if not allowed("visit-matter", role) else "out_of_scope"
            assert (response.status_code, response.json()["code"]) == (403, code), (role, unit, path)
    admin = as_("admin", "")
    assert (await admin.post(f"/v1/visit-rounds/{rid}/matters", REPORT)).status_code == 201
    assert (await admin.post(f"/v1/visit-rounds/{rid}/close")).json()["collected"] == 1
    for path in ("/v1/visit-teams", "/v1/visit-rounds", "/v1/visit-teams/figures?period=2026-09"):
        assert (await http.get(path)).status_code == 401, path


async def test_property_hotline_calls_by_role_and_scope(as_, http):
    """物业110 (issue 14 §3): 太白小区 lies in the petition's grid, served by 红帆物业 (pc-hongfan) under 越河街道,
    whose 物业办 is rc-yuehe-wyb."""
    call = {"compound": "rc-yuehe-taibai-taibai", "description": "楼道灯不亮", "caller_phone": "13805370001"}
    for role, unit, where in people():
        response = await as_(role, unit).post("/v1/property-hotline/calls", call)
        if not allowed("property-hotline-call", role):
            assert (response.status_code, response.json()["code"]) == (403, "role_not_allowed"), (role, unit)
        elif where == "inside":
            assert response.status_code == 201, (role, unit, response.text)
        else:
            assert (response.status_code, response.json()["code"]) == (403, "out_of_scope"), (role, unit)
    for role, unit in (("property_staff", "pc-hongfan"), ("street_staff", "rc-yuehe-wyb")):
        response = await as_(role, unit).post("/v1/property-hotline/calls", call)
        assert response.status_code == 201, (role, unit, response.text)
    unknown = await as_("admin", "").post("/v1/property-hotline/calls", call | {"compound": "no-such"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "compound_not_found")
    assert (await http.post("/v1/property-hotline/calls", json=call)).status_code == 401
    for role, unit, _where in people():
        assert (await as_(role, unit).get("/v1/compounds")).status_code == 200, (role, unit)
    assert (await http.get("/v1/compounds")).status_code == 401


async def test_petition_reads_by_role_and_scope(as_):
    pid = (await as_("grid_worker", "rc-yuehe-taibai-g1").report(description="授权矩阵读取"))["id"]
    for role, unit, where in people():
        caller = as_(role, unit)
        listed = (await caller.get("/v1/petitions", params={"q": "授权矩阵读取"})).json()["items"]
        one, events = await caller.get(f"/v1/petitions/{pid}"), await caller.get(f"/v1/petitions/{pid}/events")
        notes = await caller.get(f"/v1/petitions/{pid}/notifications")
        assert notes.status_code == events.status_code, (role, unit)
        if where == "inside":
            assert (one.status_code, events.status_code) == (200, 200), (role, unit)
            assert pid in [p["id"] for p in listed], (role, unit)
        else:
            assert (one.status_code, events.status_code) == (404, 404), (role, unit)
            assert one.json()["code"] == "petition_not_found"
            assert listed == [], (role, unit)


async def test_reference_reads_and_the_queue_by_role_and_scope(as_, http, org):
    pid = (await as_("grid_worker", "rc-yuehe-taibai-g1").report())["id"]
    for role, unit, _where in people():
        caller = as_(role, unit)
        for path in ("/v1/units", "/v1/units/rc-yuehe", "/v1/units/qufu", "/v1/categories", "/v1/labels",
                     "/v1/calendar/2027"):
            assert (await caller.get(path)).status_code == 200, (role, unit, path)
        queue = await caller.get("/v1/queue", params={"limit": 200})
        assert queue.status_code == 200 and queue.json()["unit_code"] == unit
        for item in queue.json()["items"]:  # only what is the caller's to do
            petition = item["petition"]
            if item["kind"] == "work_order":
                assert petition["unit_code"] == unit, (role, unit)
            elif item["kind"] == "decision":
                assert petition["overseer_code"] == unit and petition["pending_decision"], (role, unit)
            elif role == "dispatcher":  # returned orders it may re-route: returned by a unit of its district
                assert petition["status"] == "returned" and same_district(org, unit, petition["unit_code"])
            else:
                assert (role, petition["status"]) == ("return_visitor", "resolved")
                assert below(org, unit, petition["grid_code"]), (role, unit)
        assert pid not in [i["petition"]["id"] for i in queue.json()["items"]] or unit == "rc-yuehe-taibai-g1"
    for path in ("/v1/units", "/v1/queue", "/v1/scorecards?period=2026-10", "/v1/insight?period=2026-10",
                 "/v1/access-log", "/v1/calendar/2027"):
        assert (await http.get(path)).status_code == 401, path


async def test_recording_a_residents_opt_out_by_role_and_scope(as_):
    pid = (await as_("grid_worker", "rc-yuehe-taibai-g1").report())["id"]
    body = {"sms": False, "reason": "授权矩阵"}
    for role, unit, where in people():
        response = await as_(role, unit).put(f"/v1/petitions/{pid}/resident-notifications", body)
        if not allowed("resident-notifications", role):
            assert (response.status_code, response.json()["code"]) == (403, "role_not_allowed"), (role, unit)
        elif where == "inside":
            assert response.status_code == 200 and response.json()["sms"] is False, (role, unit, response.text)
        else:
            assert (response.status_code, response.json()["code"]) == (403, "out_of_scope"), (role, unit)


async def test_loading_the_calendar_by_role_and_scope(as_, http):
    """Only the city level loads an arrangement; nobody else's attempt records anything (the shared
    database must keep 2027 provisional for the other tests)."""
    body = {"source": "授权矩阵", "holidays": [{"date": "2027-01-01", "name": "元旦"}], "workdays": []}
    for role, unit, _where in people():
        if (role, unit) == ("admin", ""):
            continue
        response = await as_(role, unit).put("/v1/calendar/2027", body)
        assert (response.status_code, response.json()["code"]) == (403, "role_not_allowed"), (role, unit)
    district_admin = await as_("admin", "rencheng").put("/v1/calendar/2027", body)
    assert (district_admin.status_code, district_admin.json()["code"]) == (403, "city_level_only")
    assert (await http.put("/v1/calendar/2027", json=body)).status_code == 401
    assert (await as_("grid_worker", "rc-yuehe-taibai-g1").get("/v1/calendar/2027")).json()["status"] == "provisional"


async def test_the_access_log_by_role_and_scope(as_, pool):
    pid = (await as_("grid_worker", "rc-yuehe-taibai-g1").report())["id"]
    await as_("return_visitor", "rencheng").get(f"/v1/petitions/{pid}")  # an unmasked read: one record
    for role, unit, where in people():
        response = await as_(role, unit).get("/v1/access-log", params={"petition_id": pid})
        if not allowed("read-access-log", role):
            assert (response.status_code, response.json()["code"]) == (403, "role_not_allowed"), (role, unit)
            continue
        assert response.status_code == 200, (role, unit, response.text)
        records = [r["petition_id"] for r in response.json()["items"]]
        assert (pid in records) == (where == "inside"), (role, unit, records)


async def test_public_routes_answer_without_a_token_and_publish_no_personal_data(as_, http):
    pid = (await as_("grid_worker", "rc-yuehe-taibai-g1").report())["id"]
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/redoc"):
        assert (await http.get(path)).status_code == 200, path
    for path in ("/open311/v2/discovery.json", "/open311/v2/services.json", "/open311/v2/services/sanitation.json",
                 "/open311/v2/requests.json", f"/open311/v2/requests/{pid}.json", "/open311/v2/tokens/x.json",
                 "/open311/v2/requests.xml"):
        response = await http.get(path)
        assert response.status_code < 500, (path, response.text)
        assert not any(p in response.text for p in PERSONAL), path
    form = {"service_code": "sanitation", "description": "路灯不亮", "lat": "35.41", "long": "116.59"}
    assert (await http.post("/open311/v2/requests.json", data=form)).status_code == 403  # no api_key
    created = await http.post("/open311/v2/requests.json", data=form | {"api_key": OPEN311_KEY})
    assert created.status_code < 500, created.text


@pytest.fixture
async def month(pool, org) -> str:
    # simulated once per session: its own petitions (another month's may close in this one)
    prefix = f"SIM{Period.parse(MONTH).months[0]:%Y%m}-%"
    if not await pool.fetchval("SELECT count(*) FROM petitions WHERE id LIKE $1", prefix):
        await simulate_month(pool, org, Period.parse(MONTH), 240, 21, 0)
    return MONTH


async def test_evaluation_reads_by_role_and_scope(month, org, as_, http):
    targets = sorted({unit for _, unit, _ in people() if unit})
    everything = sum(c["reported"] for c in (await as_("admin", "").get(
        "/v1/channels/summary", params={"period": month})).json()["channels"])
    assert (await http.get("/v1/channels/summary", params={"period": month})).status_code == 401
    for role, reader, _where in people():
        caller = as_(role, reader)
        cards = (await caller.get("/v1/scorecards", params={"period": month, "live": "true"})).json()["cards"]
        assert all(below(org, reader, c["unit_code"]) for c in cards), (role, reader)
        ranked = (await caller.get("/v1/rankings", params={"period": month, "level": "street", "live": "true"}))
        assert all(same_district(org, reader, c["unit_code"]) for c in ranked.json()["cards"]), (role, reader)
        exported = await caller.get("/v1/scorecards", params={"period": month, "live": "true", "format": "csv"})
        assert exported.status_code == 200 and exported.text.count("\n") == len(cards) + 1, (role, reader)
        insight = (await caller.get("/v1/insight", params={"period": month})).json()
        assert all(below(org, reader, u["unit_code"]) for u in insight["units"]), (role, reader)
        by_channel = (await caller.get("/v1/channels/summary", params={"period": month})).json()["channels"]
        assert sum(c["reported"] for c in by_channel) <= everything, (role, reader)
        for target in targets:
            expected = 200 if below(org, reader, target) else 404
            for path, params in ((f"/v1/scorecards/{target}/petitions", {}), ("/v1/scorecards", {"unit": target}),
                                 ("/v1/insight", {"unit": target})):
                response = await caller.get(path, params={"period": month} | params)
                assert response.status_code == expected, (role, reader, path, target, response.text)
            within = await caller.get("/v1/rankings", params={"period": month, "level": "grid", "within": target})
            assert within.status_code == (200 if same_district(org, reader, target) else 404), (role, reader, target)
            if not same_district(org, reader, target):
                summary = await caller.get("/v1/channels/summary", params={"period": month, "within": target})
                assert summary.status_code == 404, (role, reader, target)


async def test_evaluation_writes_by_role_and_scope(month, pool, org, as_):
    facts = {}
    for unit in ("rc-yuehe", "rc-jiyang", "yanzhou"):  # a fact inside, beside and outside Rencheng's streets
        facts[unit] = await pool.fetchrow(
            "SELECT petition_id, unit_code FROM evaluation_facts WHERE month = $1 AND unit_code = ANY($2::text[]) "
            "LIMIT 1", Period.parse(month).months[0], sorted(org.subtree(unit)))
    admin = as_("admin", "")
    assert (await admin.post("/v1/property-rounds", {"quarter": QUARTER})).status_code == 201
    for role, unit, _where in people():
        caller = as_(role, unit)
        for path, body in (("/v1/scorecards/publish", {"period": "2025-06"}),
                           ("/v1/property-rounds", {"quarter": "2025-Q4"}),
                           ("/v1/property-rounds/2025-Q4/close", None)):
            if role != "admin":
                response = await caller.post(path, body)
                assert (response.status_code, response.json()["code"]) == (403, "role_not_allowed"), (role, path)
        for fact in facts.values():
            response = await caller.post("/v1/scorecards/corrections", {
                "petition_id": fact["petition_id"], "unit_code": fact["unit_code"], "waive": ["return"],
                "reason": "授权矩阵"})
            expected = _write_outcome("correct-evaluation", role, below(org, unit, fact["unit_code"]))
            assert (response.status_code, response.json().get("code")) == expected, (role, unit, fact, response.text)
        for company in ("pc-hongfan", "pc-yzhongse"):
            response = await caller.post(f"/v1/property-rounds/{QUARTER}/scores", {
                "company_code": company, "compound": "小区", "representative": f"{role}@{unit}", "score": 75})
            expected = _write_outcome("property-score", role, below(org, unit, company), ok=201)
            assert (response.status_code, response.json().get("code")) == expected, (role, unit, company)
        rounds = (await caller.get(f"/v1/property-rounds/{QUARTER}")).json()
        assert all(below(org, unit, c) for c in rounds["companies"]), (role, unit)
        cards = (await caller.get(f"/v1/property-rounds/{QUARTER}/cards")).json()  # issue 14 §3
        assert all(below(org, unit, c["company_code"]) for c in cards), (role, unit)
        assert [c["company_code"] for c in cards] == sorted(
            u.code for u in org.units.values() if u.kind.value == "property_company" and below(org, unit, u.code))
    assert (await admin.post("/v1/scorecards/publish", {"period": "2025-06"})).status_code == 200
    assert (await admin.post(f"/v1/property-rounds/{QUARTER}/close")).status_code == 200


async def test_appeals_by_role_and_scope(month, pool, org, as_):
    units = {u: r for r, u, where in people() if where == "inside" and allowed("file-appeal", r)}
    fact = await pool.fetchrow("SELECT petition_id, unit_code FROM evaluation_facts WHERE month = $1 "
                               "AND unit_code = ANY($2::text[]) ORDER BY petition_id LIMIT 1",
                               Period.parse(month).months[0], sorted(units))
    owner = as_(units[fact["unit_code"]], fact["unit_code"])
    body = {"petition_id": fact["petition_id"], "unit_code": fact["unit_code"], "waive": ["return"],
            "reason": "授权矩阵"}
    admin, open_appeal = as_("admin", ""), None
    for role, unit, _where in people():
        caller = as_(role, unit)
        if open_appeal is not None and unit == fact["unit_code"]:  # one open appeal at a time: decide it first
            await admin.post(f"/v1/appeals/{open_appeal}/decision", {"upheld": False, "reason": "r"})
            open_appeal = None
        response = await caller.post("/v1/appeals", body)
        expected = _write_outcome("file-appeal", role, unit == fact["unit_code"], ok=201)
        assert (response.status_code, response.json().get("code")) == expected, (role, unit, response.text)
        if response.status_code == 201:  # the owner's: decided at once, so that the next may be filed
            await admin.post(f"/v1/appeals/{response.json()['appeal_id']}/decision", {"upheld": False, "reason": "r"})
        if open_appeal is None:
            filed = await owner.post("/v1/appeals", body)
            assert filed.status_code == 201, filed.text
            open_appeal = filed.json()["appeal_id"]
        response = await caller.post(f"/v1/appeals/{open_appeal}/decision", {"upheld": False, "reason": "驳回"})
        expected = _write_outcome("decide-appeal", role, below(org, unit, fact["unit_code"]))
        assert (response.status_code, response.json().get("code")) == expected, (role, unit, response.text)
        if response.status_code == 200:
            open_appeal = None
        listed = await caller.get("/v1/appeals", params={"period": month})
        assert listed.status_code == 200 and all(below(org, unit, a["unit_code"]) for a in listed.json()), (role, unit)
        assert bool(listed.json()) == below(org, unit, fact["unit_code"]), (role, unit)


def _write_outcome(action: str, role: str, in_scope: bool, ok: int = 200) -> tuple[int, str | None]:
    if not allowed(action, role):
        return 403, "role_not_allowed"
    return (ok, None) if in_scope else (403, "out_of_scope")


async def test_the_what_if_by_role_and_scope(month, pool, org, as_):
    for role, unit, _where in people():
        response = await as_(role, unit).post("/v1/insight/what-if", {"period": month, "policy": "fast"})
        if not allowed("what-if", role):
            assert (response.status_code, response.json()["code"]) == (403, "role_not_allowed"), role
            continue
        assert response.status_code == 200, (role, unit, response.text)
        grids = [c for c in org.units if below(org, unit, c) and org.units[c].kind.value == "grid"]
        reported = await pool.fetchval(
            "SELECT count(*) FROM events WHERE type = 'PetitionReported' AND stream_id LIKE 'SIM202507-%' "
            "AND data->>'grid_code' = ANY($1::text[])", grids)
        assert response.json()["sampled"] == reported, (role, unit)


async def test_a_department_sees_its_own_work_orders_once_they_reach_it(as_):
    grid = as_("grid_worker", "rc-yuehe-taibai-g1")
    pid = (await grid.report())["id"]
    department = as_("department_staff", "rencheng-urban-management")
    assert (await department.get(f"/v1/petitions/{pid}")).status_code == 404
    await grid.act(pid, "return", {"reason": "需执法局"})
    await as_("dispatcher", "rencheng").act(pid, "dispatch", {"unit_code": "rencheng-urban-management"})
    assert (await department.get(f"/v1/petitions/{pid}")).status_code == 200
    queue = (await department.get("/v1/queue")).json()
    assert pid in [item["petition"]["id"] for item in queue["items"]]
    assert (await department.act(pid, "accept"))["status"] == "accepted"


async def test_a_token_is_no_signature_for_department_callbacks(as_, http):
    """No person's token answers a department's callback: the demo org's departments sign none (404), and a
    signed department refuses anything unsigned (401, test_department_webhooks.py)."""
    pid = (await as_("grid_worker", "rc-yuehe-taibai-g1").report())["id"]
    for action in CALLBACK_ACTIONS:
        body = {"callback_id": f"cb-{action}", "petition_id": pid, "action": action, "operator": "张三",
                **BODIES[action]}
        for role, unit, _where in people():
            response = await as_(role, unit).post("/v1/departments/rencheng-water/callbacks", body)
            assert (response.status_code, response.json()["code"]) == (404, "unknown_department"), (role, unit)
        assert (await http.post("/v1/departments/rencheng-water/callbacks", json=body)).status_code == 404


async def test_a_token_is_no_signature_for_the_sms_gateway(as_, http):
    """No person's token posts a resident's reply: without inbound keys the route answers 404 to everyone."""
    body = {"message_id": "m-1", "from": "13805371234", "text": "1"}
    for role, unit, _where in people():
        response = await as_(role, unit).post("/v1/sms/inbound", body)
        assert (response.status_code, response.json()["code"]) == (404, "sms_inbound_not_configured"), (role, unit)
    assert (await http.post("/v1/sms/inbound", json=body)).status_code == 404


pytestmark = pytest.mark.timeout(600)
