"""Every enum of the domain, each value with the Chinese label that cadres read."""

from __future__ import annotations

from enum import StrEnum


class Labelled(StrEnum):
    """A string enum whose members carry a Chinese label (`LABELS` maps value -> label)."""

    @property
    def label(self) -> str:
        """The member's Chinese label (served at /v1/labels)."""
        return _LABELS[type(self).__name__][self.value]


class Level(Labelled):
    """A rung of the escalation ladder, bottom to top."""

    GRID = "grid"
    COMMUNITY = "community"
    STREET = "street"
    DEPARTMENT = "department"


class UnitKind(Labelled):
    """What a unit of the org tree is: the ladder's kinds, a district (the dispatch desk) or a property company
    (物业公司)."""

    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"
    DEPARTMENT = "department"
    PROPERTY_COMPANY = "property_company"
    # issue 14 §3 (物业110): a street's property office (物业办), the rung between the community and the housing
    # department on a property order's ladder; and a compound (小区), under the grid it lies in, served by one
    # property company. A compound is org data only: no one works in it and it never holds an order.
    PROPERTY_OFFICE = "property_office"
    COMPOUND = "compound"


class Status(Labelled):
    """Where a petition stands in the closed loop (a work order dispatched, accepted, returned to the desk, paused,
    resolved awaiting the visit, closed)."""

    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    PAUSED = "paused"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Channel(Labelled):
    """How a petition came in: a grid worker's app, the 12345 hotline, a visit day, the 物业110 property hotline, the
    web, Open311."""

    GRID_WORKER = "grid_worker"
    HOTLINE = "hotline"
    VISIT = "visit"
    PROPERTY_HOTLINE = "property_hotline"
    WEB = "web"
    OPEN311 = "open311"
    STAFF = "staff"  # found and reported by community, street or department staff (not a grid worker)


class Urgency(Labelled):
    """How urgent a petition is; the policy's `urgencies` tighten the deadlines of urgent and emergency ones."""

    NORMAL = "normal"
    URGENT = "urgent"
    EMERGENCY = "emergency"


class Resolution(Labelled):
    """What the handling unit says it achieved when it resolves."""

    FIXED = "fixed"
    NOT_FIXED_EXPLAINED = "not_fixed_explained"


class CloseOutcome(Labelled):
    """How a petition ended; counted apart so that 'closed' never hides 'not fixed'."""

    RESOLVED = "resolved"
    CLOSED_WITHOUT_FIX = "closed_without_fix"
    NOT_GOVERNMENT_RESPONSIBILITY = "not_government_responsibility"
    DUPLICATE = "duplicate"
    WITHDRAWN = "withdrawn"
    # the reopen limit reached and the resident still dissatisfied (rules with
    # `dissatisfied_at_limit: not_resolved`): closed, but not resolved, and counted so
    CLOSED_NOT_RESOLVED = "closed_not_resolved"
    # triaged at intake by the hotline (issue 14 §2): no unit ever held these petitions
    ANSWERED_AT_INTAKE = "answered_at_intake"  # a consultation answered on the call
    HANDED_OVER = "handed_over"  # handed over to 110/119/120 at once
    REFERRED_TO_LEGAL_CHANNEL = "referred_to_legal_channel"  # litigation, arbitration, 信访, ...


class RequestType(Labelled):
    """What the caller asks for (诉求类型, Beijing 接诉即办 regulation Art. 2)."""

    CONSULTATION = "consultation"
    HELP = "help"
    COMPLAINT = "complaint"
    REPORT = "report"
    SUGGESTION = "suggestion"


class TriageOutcome(Labelled):
    """What the hotline agent does with a call at intake (Art. 11). `dispatch` is the ordinary way (a work
    order); every other outcome is an event with its reason, and no work order is made."""

    DISPATCH = "dispatch"
    ANSWERED = "answered"  # a consultation answered on the spot, closed at intake
    EMERGENCY_HANDOVER = "emergency_handover"  # 110 / 119 / 120 at once
    LEGAL_CHANNEL = "legal_channel"  # litigation, arbitration, administrative review, 信访
    OUTSIDE_DUTIES = "outside_duties"  # not a duty of government
    SAME_MATTER = "same_matter"  # the same matter, no new facts: linked to the open petition


class EmergencyLine(Labelled):
    """The emergency services a call is handed over to (Art. 11)."""

    POLICE = "110"
    FIRE = "119"
    AMBULANCE = "120"


class LegalChannel(Labelled):
    """The legal channel a caller is referred to when the matter belongs there (Art. 11)."""

    LITIGATION = "litigation"
    ARBITRATION = "arbitration"
    ADMINISTRATIVE_REVIEW = "administrative_review"
    LETTERS_AND_VISITS = "letters_and_visits"
    OTHER = "other"


class VisitOutcome(Labelled):
    """What one return-visit attempt found; `not_visited` is recorded by the system when the window closes."""

    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    DISSATISFIED = "dissatisfied"
    UNREACHABLE = "unreachable"
    NOT_VISITED = "not_visited"


class Role(Labelled):
    """What a user may do (README: who may see and do what); `system` is the timers' own."""

    GRID_WORKER = "grid_worker"
    COMMUNITY_STAFF = "community_staff"
    STREET_STAFF = "street_staff"
    DEPARTMENT_STAFF = "department_staff"
    PROPERTY_STAFF = "property_staff"
    DISPATCHER = "dispatcher"
    RETURN_VISITOR = "return_visitor"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    AUDITOR = "auditor"
    SYSTEM = "system"


class ReadKind(Labelled):
    """What kind of read showed a resident's name and phone unmasked (the access log's `what`)."""

    PETITION = "petition"
    EVENTS = "events"
    LIST = "list"
    QUEUE = "queue"
    SEARCH = "search"
    EXPORT = "export"


class DeadlineState(Labelled):
    """The card of a petition's next deadline: in time, yellow (warned), red (overdue), paused, or none running."""

    OK = "ok"
    WARNING = "warning"
    OVERDUE = "overdue"
    PAUSED = "paused"
    NONE = "none"


class PauseReason(Labelled):
    """Why a clock is stopped: waiting on the resident, or on a third party."""

    WAITING_RESIDENT = "waiting_resident"
    WAITING_THIRD_PARTY = "waiting_third_party"


class Clock(Labelled):
    """What time a duration counts (domain/workcalendar.py; docs/deadline-rules.md). Values are stored in
    events and frozen rules: add members, never rename or change one."""

    WORKING = "working"  # every second of a working day, 00:00-24:00 (the rules of petitions reported before 2026-11)
    NATURAL = "natural"  # every second
    OFFICE = "office"  # only the office hours of working days (办公时间)
    WHOLE_WORKING_DAYS = "whole_working_days"  # whole working days from the next working day (次日起算, 含本数)


class Waiver(Labelled):
    """What an upheld appeal takes off a unit's record on one petition (考评申诉)."""

    ACCEPT_BREACH = "accept_breach"
    RESOLVE_BREACH = "resolve_breach"
    ESCALATION = "escalation"
    RETURN = "return"
    DISSATISFACTION = "dissatisfaction"
    REDISPATCH_BREACH = "redispatch_breach"  # the dispatch desk's missed re-dispatch deadline
    DECISION_BREACH = "decision_breach"  # the approver's extension decision past its deadline


class CalendarStatus(Labelled):
    """Whether a year's working-day calendar is the State Council's arrangement or only the statutory days."""

    OFFICIAL = "official"
    PROVISIONAL = "provisional"


class NotifyChannel(Labelled):
    """How a notification travels (docs/notifications.md): the log (the dev stack's output), a signed
    HTTP webhook (the city's messaging hub), an SMS gateway."""

    LOG = "log"
    WEBHOOK = "webhook"
    SMS = "sms"


class Audience(Labelled):
    """Who a notification is for, relative to the event: the unit it is about, the rung above it, the
    supervisors of the petition's district, or the resident who reported it."""

    HOLDER = "holder"
    OVERSEER = "overseer"
    SUPERVISORS = "supervisors"
    RESIDENT = "resident"


class VisitChannel(Labelled):
    """How a return visit reached the resident: a call, the SMS survey's reply, a visit in person."""

    PHONE = "phone"
    SMS = "sms"
    ON_SITE = "on_site"


class SurveyState(Labelled):
    """Where a petition's SMS survey stands (docs/notifications.md, "The SMS survey"); each state but
    `pending` and `answered` puts the visit into the human return visitors' queue."""

    PENDING = "pending"  # sent or being sent, its window still open: the resident may answer
    ANSWERED = "answered"  # a clear reply (1/2/3) was recorded as the visit
    UNCLEAR = "unclear"  # the resident replied something else: kept and shown, not guessed
    UNANSWERED = "unanswered"  # the window passed without a clear reply
    NOT_SENT = "not_sent"  # the gateway refused it or gave up, or the resident opted out before it went
    NONE = "none"  # no survey under the petition's rules (no window, no phone, confidential)


class DeliveryStatus(Labelled):
    """Where a notification's delivery stands."""

    PENDING = "pending"  # recorded and handed to Temporal; not yet accepted by its channel
    SENT = "sent"
    FAILED = "failed"  # the channel refused it, or it stayed down past the delivery's bounded time


_LABELS: dict[str, dict[str, str]] = {
    "Level": {"grid": "网格", "community": "社区", "street": "街道(镇)", "department": "区直部门"},
    "UnitKind": {
        "district": "区(市)",
        "street": "街道(镇)",
        "community": "社区(村)",
        "grid": "网格",
        "department": "区直部门",
        "property_company": "物业公司",
        "property_office": "街道物业办",
        "compound": "小区",
    },
    "Status": {
        "dispatched": "已分办待签收",
        "accepted": "已签收办理中",
        "returned": "已退单待重新分办",
        "paused": "已暂停计时",
        "resolved": "已办结待回访",
        "closed": "已结案",
    },
    "Channel": {
        "grid_worker": "网格员发现上报",
        "hotline": "热线来电",
        "visit": "民意“5”来听走访",
        "property_hotline": "物业110",
        "web": "网络平台",
        "open311": "Open311接口",
        "staff": "工作人员发现上报",
    },
    "Urgency": {"normal": "一般", "urgent": "紧急", "emergency": "特急"},
    "Resolution": {"fixed": "已解决", "not_fixed_explained": "未解决已说明"},
    "CloseOutcome": {
        "resolved": "已解决办结",
        "closed_without_fix": "未解决办结(已说明)",
        "not_government_responsibility": "终止办理(非政府职责)",
        "duplicate": "重复件",
        "withdrawn": "群众撤回",
        "closed_not_resolved": "未解决办结(群众仍不满意)",
        "answered_at_intake": "当场解答办结",
        "handed_over": "移交110/119/120",
        "referred_to_legal_channel": "引导通过法定途径解决",
    },
    "RequestType": {
        "consultation": "咨询", "help": "求助", "complaint": "投诉", "report": "举报", "suggestion": "建议",
    },
    "TriageOutcome": {
        "dispatch": "派单办理",
        "answered": "当场解答",
        "emergency_handover": "移交110/119/120",
        "legal_channel": "引导通过法定途径解决",
        "outside_duties": "非政府职责范围",
        "same_matter": "同一事项无新情况(关联在办工单)",
    },
    "EmergencyLine": {"110": "公安110", "119": "消防119", "120": "急救120"},
    "LegalChannel": {
        "litigation": "诉讼", "arbitration": "仲裁", "administrative_review": "行政复议", "letters_and_visits": "信访",
        "other": "其他法定途径",
    },
    "VisitOutcome": {
        "satisfied": "满意",
        "basically_satisfied": "基本满意",
        "dissatisfied": "不满意",
        "unreachable": "联系不上",
        "not_visited": "未回访",
    },
    "Role": {
        "grid_worker": "网格员",
        "community_staff": "社区工作人员",
        "street_staff": "街道工作人员",
        "department_staff": "区直部门工作人员",
        "property_staff": "物业工作人员",
        "dispatcher": "派单员",
        "return_visitor": "回访员",
        "supervisor": "督办员",
        "admin": "管理员",
        "auditor": "督查审计员",
        "system": "系统",
    },
    "ReadKind": {
        "petition": "查看工单", "events": "查看办理记录", "list": "工单列表", "queue": "待办队列",
        "search": "工单查询", "export": "导出",
    },
    "DeadlineState": {
        "ok": "正常", "warning": "黄牌预警", "overdue": "红牌超期", "paused": "暂停计时", "none": "无时限",
    },
    "PauseReason": {"waiting_resident": "等待群众", "waiting_third_party": "等待第三方"},
    "Clock": {
        "working": "工作日", "natural": "自然日", "office": "工作时间(办公时间)",
        "whole_working_days": "工作日(次日起算)",
    },
    "Waiver": {
        "accept_breach": "超时签收不计", "resolve_breach": "超时办结不计", "escalation": "升级不计",
        "return": "退单不计", "dissatisfaction": "不满意不计", "redispatch_breach": "超时分办不计",
        "decision_breach": "超时审批不计",
    },
    "CalendarStatus": {"official": "国务院正式安排", "provisional": "暂定(仅法定节假日)"},
    "NotifyChannel": {"log": "日志", "webhook": "消息推送(Webhook)", "sms": "短信"},
    "Audience": {"holder": "承办单位", "overseer": "上级单位", "supervisors": "督办员", "resident": "群众"},
    "DeliveryStatus": {"pending": "待发送", "sent": "已发送", "failed": "发送失败"},
    "VisitChannel": {"phone": "电话回访", "sms": "短信回访", "on_site": "上门回访"},
    "SurveyState": {
        "pending": "短信回访中", "answered": "短信已回复", "unclear": "短信回复无法识别",
        "unanswered": "短信未回复", "not_sent": "短信未发出", "none": "无短信回访",
    },
}

ALL_ENUMS: tuple[type[Labelled], ...] = (
    Level, UnitKind, Status, Channel, Urgency, Resolution, CloseOutcome, VisitOutcome, Role, ReadKind,
    DeadlineState, PauseReason, Clock, Waiver, CalendarStatus, NotifyChannel, Audience, DeliveryStatus,
    RequestType, TriageOutcome, EmergencyLine, LegalChannel,
    VisitChannel, SurveyState,
)

LADDER: tuple[Level, ...] = (Level.GRID, Level.COMMUNITY, Level.STREET, Level.DEPARTMENT)


def all_labels() -> dict[str, dict[str, str]]:
    """Every enum's values with their Chinese labels, for the API and the console."""
    return {enum.__name__: dict(_LABELS[enum.__name__]) for enum in ALL_ENUMS}
