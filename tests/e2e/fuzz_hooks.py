"""Schemathesis hooks for the stateful run (`SCHEMATHESIS_HOOKS=tests.e2e.fuzz_hooks`): a report names a real
category and grid, so some are taken (201) and the OpenAPI links from the new petition are followed; every other
field of it stays fuzzed."""

from __future__ import annotations

from typing import Any

import schemathesis

WHERE_AND_WHAT = {"category": "ebike_parking_charging", "grid_code": "rc-jincheng-yongxin-g1"}
UNLIKELY = ("lat", "long", "channel", "follows", "reporter_phone", "media_urls", "evidence_urls")


@schemathesis.hook("map_body")
def reports_that_can_be_taken(context: Any, body: Any) -> Any:
    operation = context.operation
    if operation is None or not isinstance(body, dict):
        return body
    if operation.method.upper() == "POST" and operation.path in ("/v1/petitions", "/v1/petitions/on-the-spot"):
        return {k: v for k, v in body.items() if k not in UNLIKELY} | WHERE_AND_WHAT
    if operation.method.upper() == "POST" and operation.path.startswith("/v1/petitions/{petition_id}/"):
        return {k: v for k, v in body.items() if k not in UNLIKELY}
    return body
