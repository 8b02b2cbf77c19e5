"""An in-process API on the test services, and callers with tokens for any role and unit."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

import httpx

from api.auth import issue_token
from domain.enums import Role

SECRET = "test-secret-not-for-production-0123456789"
OPEN311_KEY = "open311-test-key"  # creates requests, reads what the public reads
OPEN311_TRUSTED_KEY = "open311-trusted-key"  # a trusted integrator: reads every non-confidential petition
REPORT = {"category": "sanitation", "description": "小区门口垃圾堆积三天", "grid_code": "rc-yuehe-taibai-g1",
          "address": "太白小区3号楼", "reporter_name": "陈秀英", "reporter_phone": "13805371234"}
# (no `channel`: it follows from the reporter's role, issue 14 §6)


def bearer(role: str, unit: str, subject: str | None = None) -> dict[str, str]:
    token = issue_token(SECRET, subject=subject or f"{role}@{unit}", name=f"{role} of {unit}", role=Role(role),
                        unit=unit)
    return {"authorization": f"Bearer {token}"}


@dataclass
class Caller:
    """One person: a role in a unit, with their own token."""

    http: httpx.AsyncClient
    role: str
    unit: str
    subject: str | None = None  # default: role@unit (two people of one unit need their own)

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.role, self.unit, self.subject)

    async def get(self, path: str, **kwargs) -> httpx.Response:
        headers = self.headers | kwargs.pop("headers", {})
        return await self.http.get(path, headers=headers, **kwargs)

    async def post(self, path: str, json: dict | None = None, **kwargs) -> httpx.Response:
        headers = self.headers | kwargs.pop("headers", {})
        return await self.http.post(path, json=json, headers=headers, **kwargs)

    async def put(self, path: str, json: dict | None = None, **kwargs) -> httpx.Response:
        headers = self.headers | kwargs.pop("headers", {})
        return await self.http.put(path, json=json, headers=headers, **kwargs)

    async def report(self, **overrides) -> dict:
        response = await self.post("/v1/petitions", REPORT | overrides)
        assert response.status_code == 201, response.text
        return response.json()

    async def act(self, pid: str, action: str, body: dict | None = None, expect: int = 200) -> dict:
        response = await self.post(f"/v1/petitions/{pid}/{action}", body or {})
        assert response.status_code == expect, response.text
        return response.json()


def search_tag() -> str:
    """A word no other petition contains, to find a test's own petitions with `q`. Letters only: a
    run of digits can read as a phone number, which only roles that call residents may search by."""
    return "".join(random.choices(string.ascii_lowercase, k=10))
