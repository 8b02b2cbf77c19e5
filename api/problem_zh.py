"""Problem details in Chinese for callers that ask for them (`Accept-Language: zh-CN`, issue 15 §8).

The English `detail` stays the API's reference wording (and is kept as `detail_en`); a caller preferring
Chinese gets `detail` in Chinese: the common refusals of the decider word for word (with the unit, the state
or the role they name), every other error by its stable `code`. A code without a Chinese sentence keeps its
English detail. Pure: no I/O.
"""

from __future__ import annotations

import re

from domain.enums import Role, Status

# by the problem's stable `code` (api/errors.py, domain/errors.py, services/errors.py)
BY_CODE: dict[str, str] = {
    "unauthenticated": "请先登录（缺少身份令牌）。",
    "invalid_token": "登录凭证无效，请重新登录。",
    "token_expired": "登录已过期，请重新登录。",
    "role_not_allowed": "您的角色不能执行此操作。",
    "out_of_scope": "这件诉求不在您单位的管辖范围内。",
    "not_permitted": "您的单位或角色不能对这件诉求执行此操作。",
    "petition_not_found": "找不到这件诉求（或您无权查看）。",
    "not_found": "找不到要操作的对象。",
    "petition_closed": "这件诉求已结案，不能再办理；如群众再次来电，请由督办员或派单员重办，或新报一件关联诉求。",
    "invalid_state": "诉求当前的状态不允许此操作。",
    "already_reported": "这件诉求已经上报过了。",
    "invalid_command": "填写的内容不符合规则。",
    "validation_error": "填写的内容有误，请检查标出的字段。",
    "unknown_category": "没有这个诉求类别。",
    "location_required": "请选择网格，或给出位置。",
    "location_mismatch": "所选网格与位置不一致。",
    "location_outside_grids": "该位置不在任何网格内。",
    "invalid_field": "填写的内容不能保存（含有不允许的字符或格式）。",
    "field_too_long": "填写的内容超过了长度上限。",
    "idempotency_key_reused": "同一个提交编号已用于另一份内容，请刷新后重新提交。",
    "channel_not_allowed": "您的角色不能使用这个受理渠道。",
    "stream_conflict": "别人刚刚同时修改了这件诉求，请刷新后再试。",
    "unit_not_found": "没有这个单位，或不在您的管辖范围内。",
    "unknown_unit": "没有这个单位。",
    "invalid_cursor": "翻页位置无效，请从第一页重新开始。",
    "duplicate_of_required": "按重复件结案时，请填写它重复的诉求编号。",
    "invalid_duplicate_of": "重复件所指的诉求无效。",
    "temporal_unavailable": "流程引擎暂时无法连接，请稍后再试。",
    "command_failed": "操作未能完成，请稍后再试。",
    "projection_behind": "统计数据尚未更新完毕，请稍后再试。",
    "internal_error": "系统出现意外错误，已记录，请稍后再试。",
    "body_too_large": "提交的内容太大。",
    "self_merge": "不能把一件诉求合并到它自己。",
    "invalid_into": "要并入的诉求无效（或您无权查看）。",
    "cross_district_merge": "合并工单只能在同一个区内进行，请先改派。",
    "survivor_closed": "要并入的诉求已结案，请并入一件仍在办理的诉求。",
    "burst_running": "这件诉求正承接一起突发集中诉求，请把其他诉求并入它，或待突发结束后再合并。",
    "merge_cut_short": "上一次合并未完成：对方诉求的群众已并入本件，请把对方诉求并入本件以完成那次合并。",
}

_HANDLER = re.compile(r"only the handling unit (\S+) \(([^)]*)\)")
_OVERSEER = re.compile(r"only the rung above \((\S+)")
_STATE = re.compile(r"cannot ([\w -]+?) while the petition is (\w+)")
_ROLES = re.compile(r"needs one of the roles: ([a-z_, ]+)")


def chinese_detail(code: str, detail: str) -> str | None:
    """The Chinese wording of a problem with `code` and English `detail`, or None when there is none."""
    if match := _HANDLER.search(detail):
        return f"只有承办单位（{match.group(2)}）可以执行此操作。"
    if match := _OVERSEER.search(detail):
        return f"只有上一级单位（{match.group(1)}）可以审批此事项。"
    if (match := _STATE.search(detail)) and match.group(2) in Status.__members__.values():
        return f"诉求当前为「{Status(match.group(2)).label}」，不能执行此操作。"
    if code == "role_not_allowed" and (match := _ROLES.search(detail)):
        names = [Role(r.strip()).label for r in match.group(1).split(",") if r.strip() in Role.__members__.values()]
        return f"您的角色不能执行此操作（只有{'、'.join(names)}可以）。" if names else BY_CODE[code]
    return BY_CODE.get(code)


def prefers_chinese(accept_language: str | None) -> bool:
    """Whether an Accept-Language header puts Chinese first (zh, zh-CN, zh-Hans…; quality values honoured)."""
    if not accept_language:
        return False
    best, best_q = "", -1.0
    for part in accept_language.split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if q > best_q:
            best, best_q = tag.strip().lower(), q
    return best == "zh" or best.startswith("zh-")
