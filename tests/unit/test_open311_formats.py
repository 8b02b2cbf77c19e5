"""GeoReport v2's parameters and formats, without services: points, lists, empty values, XML."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from api.open311.formats import to_xml
from api.open311.params import listed, point, present


def test_a_point_is_both_coordinates_or_neither():
    assert point({}) == (None, None)
    assert point({"lat": "35.4287", "long": "116.575"}) == (35.4287, 116.575)
    with pytest.raises(ValueError, match="long is required with lat"):
        point({"lat": "35.4"})
    with pytest.raises(ValueError, match="lat is required with long"):
        point({"long": "116.5"})


@pytest.mark.parametrize(("fields", "message"), [
    ({"lat": "north", "long": "116.5"}, "lat must be a number of degrees"),
    ({"lat": "91", "long": "116.5"}, "lat must be between -90 and 90"),
    ({"lat": "35.4", "long": "-180.5"}, "long must be between -180 and 180"),
    ({"lat": "nan", "long": "116.5"}, "lat must be between"),
    ({"lat": "35.4", "long": "inf"}, "long must be between"),
])
def test_a_point_out_of_this_world_names_its_coordinate(fields, message):
    with pytest.raises(ValueError, match=message):
        point(fields)


def test_parameters_sent_empty_count_as_not_sent_and_lists_drop_blanks():
    assert present(None) is None and present("") is None and present("  ") is None and present("open") == "open"
    assert listed(None) == [] and listed("") == [] and listed("a, ,b,") == ["a", "b"]


def test_xml_names_each_item_as_the_spec_does_and_drops_what_xml_cannot_carry():
    xml = to_xml("service_requests", [{"service_request_id": "JH1", "description": "灯坏了\x01", "lat": None,
                                       "media_url": None, "confidential": False}])
    root = ET.fromstring(xml)
    request = root.find("request")
    assert root.tag == "service_requests" and request is not None
    assert request.findtext("description") == "灯坏了" and request.findtext("confidential") == "false"
    assert request.find("lat") is not None and request.findtext("lat") == ""  # null: an empty element


def test_nested_lists_take_singular_element_names():
    xml = to_xml("discovery", {"endpoints": [{"formats": ["text/xml", "application/json"]}]})
    root = ET.fromstring(xml)
    assert [f.text for f in root.iter("format")] == ["text/xml", "application/json"]
    assert root.find("endpoints/endpoint/formats") is not None
