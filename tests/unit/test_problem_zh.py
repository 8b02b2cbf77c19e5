"""Problem details in Chinese (issue 15 §8): the decider's common refusals word for word, the rest by code."""

from api.problem_zh import BY_CODE, chinese_detail, prefers_chinese


def test_a_refusal_by_the_handling_unit_names_the_unit_in_chinese():
    zh = chinese_detail("not_permitted", "only the handling unit rc-yuehe-taibai-g1 (太白社区第1网格) may accept it")
    assert zh == "只有承办单位（太白社区第1网格）可以执行此操作。"


def test_a_unit_the_petition_moved_away_from_is_told_where_it_went():
    zh = chinese_detail("invalid_state", "the petition has moved on to rc-yutun-chengnan (城南张村); "
                                         "rc-yutun-chengnan-g1 no longer holds it")
    assert zh == "这件诉求已转到城南张村办理，您的单位不再承办。"


def test_a_refusal_by_state_names_the_state_label():
    zh = chinese_detail("invalid_state", "cannot accept while the petition is resolved; it must be dispatched")
    assert zh == "诉求当前为「已办结待回访」，不能执行此操作。"
    assert "resolved" not in (zh or "")


def test_a_refusal_by_role_names_the_roles_in_chinese():
    zh = chinese_detail("role_not_allowed", "accept needs one of the roles: community_staff, grid_worker")
    assert zh is not None and "社区工作人员" in zh and "网格员" in zh and "grid_worker" not in zh


def test_other_errors_by_code_and_unknown_codes_keep_english():
    assert chinese_detail("petition_not_found", "no petition x") == BY_CODE["petition_not_found"]
    assert chinese_detail("some_new_code", "whatever") is None


def test_accept_language_with_quality_values():
    assert prefers_chinese("zh-CN,zh;q=0.9,en;q=0.8")
    assert prefers_chinese("zh")
    assert not prefers_chinese("en-US,en;q=0.9,zh-CN;q=0.5")
    assert not prefers_chinese(None) and not prefers_chinese("")
    assert prefers_chinese("en;q=0.3, zh-Hans;q=0.8")


def test_a_fields_error_reads_in_chinese_by_its_type_and_limits_or_the_words_of_its_check():
    from api.problem_zh import FIELD_FALLBACK, chinese_field_message

    assert chinese_field_message("missing", None, "Field required") == "必填。"
    assert chinese_field_message("string_too_long", {"max_length": 4000}, "...") == "不能超过 4000 个字。"
    assert chinese_field_message("string_too_short", {"min_length": 1}, "...") == "不能为空。"
    assert chinese_field_message("too_short", {"min_length": 1, "actual_length": 0}, "...") == "至少选择一项。"
    assert chinese_field_message("enum", {"expected": "'a' or 'b'"}, "...") == "请从可选项中选择。"
    assert chinese_field_message("greater_than_equal", {"ge": 1}, "...") == "不能小于 1。"
    assert chinese_field_message("value_error", {}, "Value error, reason: the outcome answered is recorded with "
                                                    "its reason") == "请填写这样处理的理由。"
    assert chinese_field_message("value_error", {}, "Value error, [0] must be an http or https URL") == (
        "请填写 http 或 https 链接。")
    assert chinese_field_message("value_error", {}, "Value error, something new") == FIELD_FALLBACK
