"""Problem details in Chinese for callers that ask for them (`Accept-Language: zh-CN`, issue 15 §8).

The English `detail` stays the API's reference wording (and is kept as `detail_en`); a caller preferring
Chinese gets `detail` in Chinese: the common refusals of the decider word for word (with the unit, the state
or the role they name), every other error by its stable `code`. A code without a Chinese sentence keeps its
English detail. A 422's `errors` (one per field) get a Chinese `message` too, by the validation error's type
and its limits, or for the checks across fields by their words (the English kept as `message_en`), so a form
shows each next to its field. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

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
    "unstorable_text": "提交的内容含有无法保存的字符（如空字符），请删除后重试。",
    "rate_limited": "提交过于频繁，请稍后再试（等待时间见 Retry-After）。",
    "self_merge": "不能把一件诉求合并到它自己。",
    "invalid_into": "要并入的诉求无效（或您无权查看）。",
    "cross_district_merge": "合并工单只能在同一个区内进行，请先改派。",
    "survivor_closed": "要并入的诉求已结案，请并入一件仍在办理的诉求。",
    "burst_running": "这件诉求正承接一起突发集中诉求，请把其他诉求并入它，或待突发结束后再合并。",
    "merge_cut_short": "上一次合并未完成：对方诉求的群众已并入本件，请把对方诉求并入本件以完成那次合并。",
}

_HANDLER = re.compile(r"only the handling unit (\S+) \(([^)]*)\)")
_MOVED = re.compile(r"has moved on to (\S+) \(([^)]*)\)")
_OVERSEER = re.compile(r"only the rung above \((\S+)")
_STATE = re.compile(r"cannot ([\w -]+?) while the petition is (\w+)")
_ROLES = re.compile(r"needs one of the roles: ([a-z_, ]+)")


def chinese_detail(code: str, detail: str) -> str | None:
    """The Chinese wording of a problem with `code` and English `detail`, or None when there is none."""
    if match := _HANDLER.search(detail):
        return f"只有承办单位（{match.group(2)}）可以执行此操作。"
    if match := _MOVED.search(detail):
        return f"这件诉求已转到{match.group(2)}办理，您的单位不再承办。"
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


# a field's validation error by its pydantic type; {name} reads the error's limits (ctx)
_FIELD_BY_TYPE: dict[str, str] = {
    "missing": "必填。",
    "string_too_long": "不能超过 {max_length} 个字。",
    "too_long": "最多 {max_length} 项。",
    "greater_than_equal": "不能小于 {ge}。",
    "greater_than": "须大于 {gt}。",
    "less_than_equal": "不能大于 {le}。",
    "less_than": "须小于 {lt}。",
    "enum": "请从可选项中选择。",
    "literal_error": "请从可选项中选择。",
    "int_type": "请填写整数。",
    "int_parsing": "请填写整数。",
    "int_from_float": "请填写整数。",
    "float_type": "请填写数字。",
    "float_parsing": "请填写数字。",
    "finite_number": "请填写数字。",
    "bool_type": "请填写“是”或“否”。",
    "bool_parsing": "请填写“是”或“否”。",
    "string_type": "请填写文字。",
    "list_type": "须为一组值（列表）。",
    "dict_type": "提交的内容须为 JSON 对象（content-type: application/json）。",
    "model_type": "提交的内容须为 JSON 对象（content-type: application/json）。",
    "model_attributes_type": "提交的内容须为 JSON 对象（content-type: application/json）。",
    "json_invalid": "提交的内容不是有效的 JSON。",
    "extra_forbidden": "没有这个字段。",
    "date_type": "请填写日期，如 2026-11-30。",
    "date_parsing": "请填写日期，如 2026-11-30。",
    "date_from_datetime_parsing": "请填写日期，如 2026-11-30。",
    "datetime_type": "请填写日期时间，如 2026-11-30T08:00:00+08:00。",
    "datetime_parsing": "请填写日期时间，如 2026-11-30T08:00:00+08:00。",
    "datetime_from_date_parsing": "请填写日期时间，如 2026-11-30T08:00:00+08:00。",
    "url_parsing": "请填写 http 或 https 链接。",
    "url_scheme": "请填写 http 或 https 链接。",
    "url_type": "请填写 http 或 https 链接。",
}

# checks of one field's text (domain/text.py) and across fields (the input models' validators), by their words
_FIELD_BY_WORDS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), zh) for p, zh in (
    (r"must be a phone number", "请填写电话号码（7至20位数字，可含 +、空格或短横线）。"),
    (r"must be an http or https URL without spaces", "链接中不能有空格（请写作 %20）。"),
    (r"must be an http or https URL", "请填写 http 或 https 链接。"),
    (r"must be at most \d+ characters", "链接太长。"),
    (r"must not contain control characters", "不能含有控制字符。"),
    (r"must not be blank", "不能只填空白。"),
    (r"lat and long come together|is required with (lat|long)", "经度和纬度须同时填写。"),
    (r"grid_code, or lat and long inside a grid, is required|where is it\?", "请选择网格，或在地图上标出位置。"),
    (r"anonymous caller's name and phone are not recorded", "匿名来电不记录姓名和电话，请清空。"),
    (r"is recorded with its reason", "请填写这样处理的理由。"),
    (r"the open petition of the same matter is required", "请填写同一事项的在办诉求编号。"),
    (r"a linked caller is return-visited", "关联的来电人也要回访：请填写来电号码（或选择匿名）。"),
    (r"only the outcome same_matter names an open petition", "只有“同一事项”才填写在办诉求编号。"),
    (r"category and description are required", "请选择诉求类别并填写诉求内容。"),
    (r"needs result and evidence_urls", "当场解决须填写处理结果和至少一个佐证照片链接。"),
    (r"belong to a matter resolved on the spot", "只有当场解决才填写处理结果和佐证链接。"),
    (r"must be a number of degrees", "经纬度须为数字（WGS84 度）。"),
    (r"must be between -\d+ and \d+", "经纬度超出范围。"),
    (r"true or false", "请填写“是”或“否”。"),
))

FIELD_FALLBACK = "填写的内容不符合规则。"


def chinese_field_message(error_type: str, ctx: Mapping[str, Any] | None, message: str) -> str:
    """The Chinese message of one field's validation error (pydantic's `type` and `ctx`, the English `message`):
    by its type and limits (必填, 不能超过 N 个字, …), else by the words of the check that raised it, else
    `FIELD_FALLBACK`."""
    limits = dict(ctx or {})
    if error_type == "string_too_short":
        return "不能为空。" if limits.get("min_length", 1) <= 1 else f"至少 {limits['min_length']} 个字。"
    if error_type == "too_short":
        return "至少选择一项。" if limits.get("min_length", 1) <= 1 else f"至少 {limits['min_length']} 项。"
    if error_type in _FIELD_BY_TYPE:
        try:
            return _FIELD_BY_TYPE[error_type].format(**limits)
        except (KeyError, IndexError):
            return FIELD_FALLBACK
    for words, zh in _FIELD_BY_WORDS:
        if words.search(message):
            return zh
    return FIELD_FALLBACK
