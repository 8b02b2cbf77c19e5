"""The two formats GeoReport v2 defines: JSON arrays/objects and XML with fixed element names."""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree as ET

from fastapi.responses import JSONResponse, Response

# characters XML 1.0 cannot carry: one of them in a stored text must not break a whole answer
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# root element -> element of each item, as the spec's examples name them
ITEM_OF_ROOT = {"services": "service", "service_requests": "request", "errors": "error"}


def render(fmt: str, root: str, payload: Any, status: int = 200) -> Response:
    """A GeoReport answer in `fmt` (json, or xml under the element `root`) with HTTP `status`."""
    if fmt == "json":
        return JSONResponse(payload, status_code=status)
    return Response(to_xml(root, payload), status_code=status, media_type="text/xml; charset=utf-8")


def to_xml(root: str, payload: Any) -> bytes:
    """`payload` as GeoReport XML under `root` (a list: one element per item, named as the spec names them), UTF-8
    with the XML declaration; characters XML 1.0 cannot carry are dropped."""
    element = ET.Element(root)
    if isinstance(payload, list):
        for item in payload:
            _fill(ET.SubElement(element, ITEM_OF_ROOT[root]), item)
    else:
        _fill(element, payload)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            if isinstance(child, list):
                container = ET.SubElement(element, key)
                for item in child:
                    _fill(ET.SubElement(container, _singular(key)), item)
            else:
                _fill(ET.SubElement(element, key), child)
    elif value is None:
        return
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = _NOT_XML.sub("", str(value))


def _singular(plural: str) -> str:
    return {"endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value",
            "keywords": "keyword"}.get(plural, plural.removesuffix("s"))


def error(fmt: str, status: int, description: str) -> Response:
    """A GeoReport error answer in `fmt`: `[{code, description}]` with HTTP `status`."""
    return render(fmt, "errors", [{"code": status, "description": description}], status=status)
