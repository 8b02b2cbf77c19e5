"""`redact` hides ID numbers, phones and plates in free text and leaves other text alone."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.redaction import REDACTED, mask, redact

SECRETS = [
    "370802199001011234", "37080219900101123X", "37080219900101123x", "370802 19900101 1234",
    "13805371234", "138 0537 1234", "138-0537-1234", "+8613805371234", "+86 138 0537 1234", "0086-13805371234",
    "8613805371234", "0537-1234567", "0537 12345678", "(0537)1234567", "（0537）2345678", "010-87654321",
    "05372345678", "2345678", "87654321", "鲁H12345", "鲁H·12345", "鲁h12345", "鲁HD12345", "鲁H12345D",
    "京AD12345", "鲁H1234学", "6222021234567890123", "370802900101123",
    # as a reviewer typed them (issue 10): input-method spaces, invisible characters, dots, glued letters
    "138\u30001234\u30005678", "138\u00a01234\u00a05678", "138\u200b1234\u200b5678", "138.1234.5678",
    "wx13812345678", "0537 234 5678", "370802.1990.0101.1234", "370802 1990 0101 1234", "370802199001011234abc",
    "鲁\uff2812345", "鲁 H12345", "\uff11\uff13\uff18\uff10\uff15\uff13\uff17\uff11\uff12\uff13\uff14",
]
SURROUNDINGS = ["{}", "身份证号{}，", "请联系{}处理", "电话：{}。", "车牌 {} 乱停", "({})", "{},谢谢"]


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("around", SURROUNDINGS)
def test_each_kind_of_identifier_is_hidden_wherever_it_stands(secret, around):
    text = around.format(secret)
    hidden = redact(text)
    assert REDACTED in hidden and secret not in hidden
    visible = unicodedata.normalize("NFKC", hidden.replace(REDACTED, ""))
    assert not re.search(r"\d{4}", re.sub(r"[\s\u200b.]", "", visible)), hidden


@pytest.mark.parametrize("text", [
    "12号楼3单元502室的楼道灯坏了", "垃圾堆积三天", "2026年11月29日上午10点", "罚款12345678元", "共1000000人次",
    "工单JH20261129-ABCD1234", "圆周率3.1415926", "金额1,234,567", "拨打12345热线", "报警110", "北京A1234座",
    "第2345678号通知书", "", "Road No. 5", "request 12345678-9abc-4def-8123-456789abcdef",
])
def test_ordinary_text_is_left_as_it_is(text):
    assert redact(text) == text


def test_the_sample_from_the_issue():
    text = "身份证370802199001011234，电话13805371234，座机0537-2345678，车牌鲁H12345，住12号楼3单元502室"
    assert redact(text) == "身份证[已隐去]，电话[已隐去]，座机[已隐去]，车牌[已隐去]，住12号楼3单元502室"


def test_full_width_digits_and_neighbouring_numbers():
    assert redact("电话１３８０５３７１２３４") == "电话[已隐去]"
    assert redact("13805371234+8613905371234") == f"{REDACTED}+{REDACTED}"
    assert redact("13805371234/13905375678") == f"{REDACTED}/{REDACTED}"


def test_mask_keeps_the_ends_for_logs():
    assert mask("请联系13805371234处理") == "请联系138****1234处理"
    assert mask("370802199001011234") == "370***********1234"
    assert mask("13805371234+8613905371234") == "138****1234+861******1234"
    assert mask("鲁H12345") == "鲁H*****"


digit = st.sampled_from("0123456789")
mobile = st.builds(lambda p, rest: f"1{p}{rest}", st.sampled_from("3456789"), st.text(digit, min_size=9, max_size=9))
id_card = st.builds(
    lambda region, y, m, d, seq, check: f"{region}{y}{m:02d}{d:02d}{seq}{check}",
    st.integers(110000, 659999).map(str), st.integers(1900, 2025).map(str), st.integers(1, 12),
    st.integers(1, 28), st.text(digit, min_size=3, max_size=3), st.sampled_from("0123456789X"))
landline = st.builds(lambda area, local: f"{area}-{local}", st.sampled_from(["010", "021", "0537", "0531"]),
                     st.integers(2000000, 99999999).map(str))
plate = st.builds(lambda prov, letter, tail: f"{prov}{letter}{tail}", st.sampled_from("鲁京沪粤川"),
                  st.sampled_from("ABCDHK"), st.text(digit, min_size=5, max_size=5))
identifier = st.one_of(mobile, id_card, landline, plate)
chinese = st.text(st.sampled_from("的垃圾堆积路灯坏了请尽快处理小区门口，。 "), max_size=12)


@given(before=chinese, secret=identifier, after=chinese)
def test_any_identifier_in_chinese_text_is_hidden(before, secret, after):
    hidden = redact(before + secret + after)
    assert secret not in hidden and REDACTED in hidden
    assert mask(before + secret + after).count("*") > 0


@given(st.text(max_size=60))
def test_redact_is_idempotent_and_leaves_no_long_digit_run(text):
    once = redact(text)
    assert redact(once) == once
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", once)


@given(st.text(st.characters(blacklist_categories=["Nd"]), max_size=60))
def test_text_without_digits_is_unchanged(text):
    assert redact(text) == text
