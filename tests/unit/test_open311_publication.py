"""What a GeoReport v2 item holds for each kind of reader, from a read-model row (no services)."""

from __future__ import annotations

from datetime import UTC, datetime

from api.open311.publication import PUBLIC_READER, coarse_address, readable_categories, request_out
from config.settings import Open311Client

TRUSTED = Open311Client(name="12345平台", read="all")
ROW = {"id": "JH20261129-0001", "status": "dispatched", "close_outcome": None, "category": "noise",
       "description": "身份证370802199001011234，电话13805371234", "public_summary": "",
       "address": "太白小区12号楼3单元502室 13805371234", "grid_code": "rc-yuehe-taibai-g1",
       "unit_name": "太白社区第1网格",
       "reported_at": datetime(2026, 11, 29, tzinfo=UTC), "updated_at": datetime(2026, 11, 29, tzinfo=UTC),
       "resolve_due": None, "reporter_name": "陈秀英", "reporter_phone": "13805371234"}


def test_the_public_gets_a_summary_and_the_street_and_community(demo_org):
    item = request_out(ROW, demo_org, PUBLIC_READER)
    assert item["description"] == "噪音扰民类诉求" and item["address"] == "越河街道太白社区"
    summarised = request_out(ROW | {"public_summary": "夜间施工 13805371234"}, demo_org, PUBLIC_READER)
    assert summarised["description"] == "夜间施工 [已隐去]"
    assert "陈秀英" not in str(item) and "13805371234" not in str(item) and item["lat"] is None


def test_a_trusted_reader_gets_the_redacted_description_and_full_address(demo_org):
    item = request_out(ROW, demo_org, TRUSTED)
    assert item["description"] == "身份证[已隐去]，电话[已隐去]"
    assert item["address"] == "太白小区12号楼3单元502室 [已隐去]"


def test_coarse_address_of_grids_streets_and_vanished_units(demo_org):
    assert coarse_address(demo_org, "rc-yuehe-taibai-g1") == "越河街道太白社区"
    assert coarse_address(demo_org, "rc-yuehe-taibai") == "越河街道太白社区"
    assert coarse_address(demo_org, "rc-yuehe") == "越河街道"
    assert coarse_address(demo_org, "gone-grid") == ""


def test_what_each_reader_may_select(demo_org):
    assert readable_categories(TRUSTED, demo_org) is None
    assert readable_categories(PUBLIC_READER, demo_org) == ["greening", "municipal_facilities", "sanitation"]
