"""The Chinese name of every petition event type, as a 流转记录 (audit trail) line names it.

Served with the enums' labels at `GET /v1/labels` (key `EventType`); the console writes each event of a
petition's timeline as a sentence that starts with its actor and this name. Pure: no I/O.
Source of the words: the 12345 platforms' own terms (签收, 退单, 提级, 延期, 办结, 回访, 结案; DESIGN.md glossary).
"""

from __future__ import annotations

EVENT_LABELS: dict[str, str] = {
    "PetitionReported": "发现上报",
    "WorkOrderAssigned": "派单",
    "WorkOrderAccepted": "签收",
    "WorkOrderReturned": "退单",
    "WorkOrderDelivered": "工单已送达",
    "ReturnAllowed": "准予再次退单",
    "PetitionRedispatched": "重新分办",
    "PetitionEscalated": "提级",
    "ExtensionRequested": "申请延期",
    "ExtensionRequestLapsed": "延期申请逾期未批",
    "ExtensionDecided": "延期审批",
    "PauseRequested": "申请暂停计时",
    "PauseDenied": "暂停计时未获批准",
    "ClockPaused": "暂停计时",
    "ClockResumed": "恢复计时",
    "ProgressNoted": "办理进展",
    "PetitionResolved": "办结",
    "PetitionUrged": "督办催办",
    "DeadlineWarned": "黄牌预警",
    "DeadlineBreached": "红牌超期",
    "ReturnVisitRecorded": "回访",
    "PetitionReopened": "重办",
    "FollowUpReported": "结案后再诉",
    "IntakeTriaged": "受理时分流办结",
    "CallerLinked": "关联同一事项来电",
    "LinkedCallerVisited": "关联来电人回访",
    "CompanyCallbackRecorded": "物业客服回访",
    "PetitionMerged": "合并工单",
    "BurstDeclared": "突发集中诉求",
    "PetitionClosed": "结案",
    "DeadlinesReplanned": "节假日调整后重算时限",
    "UnitEvaluated": "单位考评记录",
}
