"""Bearer JWTs: who the caller is (subject, display name, role, unit). The actor of every command."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

import jwt
import structlog
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError

from api.errors import ApiError
from config.settings import Settings
from domain.enums import Role, UnitKind
from domain.model import Actor

bearer = HTTPBearer(auto_error=False, description="A JWT with claims sub, name, role and unit")


class TokenVerifier(Protocol):
    """Checks a bearer token's signature, expiry, issuer and audience. `fetches_keys`: `claims` may do network I/O
    (fetch a key set), so the API calls it off the event loop."""

    @property
    def fetches_keys(self) -> bool:
        """True when `claims` may do network I/O."""

    def claims(self, token: str) -> dict[str, Any]:
        """The token's claims (`sub`, `name`, `role`, `unit`…); a jwt.PyJWTError if it does not verify."""


@dataclass(frozen=True)
class SharedSecretVerifier:
    """HS256 with a configured secret (dev, tests, small deployments)."""

    secret: str
    issuer: str | None = None
    audience: str | None = None
    fetches_keys: bool = False  # pure computation: checked on the event loop

    def claims(self, token: str) -> dict[str, Any]:
        """The claims of an HS256 `token` signed with the secret (issuer and audience checked when configured; `exp`
        and `sub` required). Raises a jwt.PyJWTError otherwise."""
        return jwt.decode(token, self.secret, algorithms=["HS256"], issuer=self.issuer, audience=self.audience,
                          options={"require": ["exp", "sub"], "verify_aud": self.audience is not None})


class JwksVerifier:
    """RS256/ES256 tokens of an external identity provider, keys fetched from its JWKS URL (cached)."""

    fetches_keys = True  # the first token, an unknown key id (at most once a minute) and hourly: a fetch

    def __init__(self, url: str, issuer: str | None, audience: str | None) -> None:
        self._keys = jwt.PyJWKClient(url, cache_keys=True, lifespan=3600)
        self._issuer, self._audience = issuer, audience

    def claims(self, token: str) -> dict[str, Any]:
        """The claims of an RS256 or ES256 `token` signed by a key of the JWKS (issuer and audience checked when
        configured; `exp` and `sub` required). Raises a jwt.PyJWTError otherwise."""
        key = self._keys.get_signing_key_from_jwt(token)
        return jwt.decode(token, key.key, algorithms=["RS256", "ES256"], issuer=self._issuer,
                          audience=self._audience,
                          options={"require": ["exp", "sub"], "verify_aud": self._audience is not None})


def verifier_from(settings: Settings) -> TokenVerifier:
    """The token verifier the settings name: the identity provider's JWKS if `JIEHU_JWT_JWKS_URL` is set, else HS256
    with `JIEHU_JWT_SECRET`. RuntimeError if neither is set."""
    if settings.jwt_jwks_url:
        return JwksVerifier(settings.jwt_jwks_url, settings.jwt_issuer, settings.jwt_audience)
    if not settings.jwt_secret:
        raise RuntimeError("set JIEHU_JWT_SECRET (HS256) or JIEHU_JWT_JWKS_URL (an identity provider)")
    return SharedSecretVerifier(settings.jwt_secret, settings.jwt_issuer, settings.jwt_audience)


def issue_token(secret: str, *, subject: str, name: str, role: Role, unit: str, hours: float = 12,
                issuer: str | None = None, audience: str | None = None) -> str:
    """A dev/test token (HS256); production tokens come from the identity provider."""
    now = int(time.time())
    claims: dict[str, Any] = {"sub": subject, "name": name, "role": role.value, "unit": unit, "iat": now,
                              "exp": now + int(hours * 3600)}
    if issuer:
        claims["iss"] = issuer
    if audience:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm="HS256")


async def _authenticate(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(401, "unauthenticated", "send Authorization: Bearer <token>")
    verifier: TokenVerifier = request.app.state.verifier
    try:
        # a key set fetch blocks (urllib): in a thread, so a slow identity provider stalls only its own callers
        claims = (await asyncio.to_thread(verifier.claims, credentials.credentials) if verifier.fetches_keys
                  else verifier.claims(credentials.credentials))
    except jwt.ExpiredSignatureError as exc:
        raise ApiError(401, "token_expired", "the token has expired") from exc
    except jwt.PyJWTError as exc:
        raise ApiError(401, "invalid_token", why_invalid(exc)) from exc
    # RFC 7519 §2 NumericDate: a JSON number. PyJWT also takes "9999999999" (a string) and 1e20; a token that
    # says its expiry in any other form is not one jiehu's issuers make
    for claim in ("exp", "nbf", "iat"):
        value = claims.get(claim)
        if claim in claims and (isinstance(value, bool) or not isinstance(value, int | float) or value > 2**53):
            raise ApiError(401, "invalid_token", f"the token's {claim!r} claim is not a NumericDate")
    try:
        actor = Actor(id=str(claims["sub"]), name=str(claims.get("name") or claims["sub"]),
                      unit_code=str(claims.get("unit", "")), role=Role(str(claims.get("role"))))
    except (KeyError, ValueError, ValidationError) as exc:
        raise ApiError(401, "invalid_token", "the token lacks a valid role or unit claim") from exc
    if actor.role is Role.SYSTEM:
        raise ApiError(401, "invalid_token", "the system role is not for people")
    await _require_known_unit(request, actor)
    structlog.contextvars.bind_contextvars(actor=actor.id, actor_unit=actor.unit_code, actor_role=actor.role.value)
    return actor


def why_invalid(exc: jwt.PyJWTError) -> str:
    """A caller's reason for a refused token, in words (never the decoder's own message)."""
    if isinstance(exc, jwt.InvalidSignatureError):  # a subclass of DecodeError: test it first
        return "the token's signature does not match"
    if isinstance(exc, jwt.DecodeError):
        return "malformed token"
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"the token lacks the {exc.claim!r} claim"
    reasons: list[tuple[type[jwt.PyJWTError], str]] = [
        (jwt.ImmatureSignatureError, "the token is not valid yet"),
        (jwt.InvalidAudienceError, "the token is meant for another audience"),
        (jwt.InvalidIssuerError, "the token comes from another issuer"),
        (jwt.InvalidAlgorithmError, "the token's signing algorithm is not accepted"),
        (jwt.PyJWKClientError, "the token's signing key is unknown to the identity provider's key set"),
    ]
    return next((reason for kind, reason in reasons if isinstance(exc, kind)), "the token is not valid")


async def _require_known_unit(request: Request, actor: Actor) -> None:
    """Every person belongs to a unit of the org tree; only admin (the city level) may have none."""
    if actor.role is Role.ADMIN and not actor.unit_code:
        return
    if not actor.unit_code:
        raise ApiError(401, "invalid_token", "the token names no unit; every role but admin needs one")
    org = await request.app.state.services.current_org()
    unit = org.units.get(actor.unit_code)
    if unit is None:
        raise ApiError(401, "invalid_token", "the token names a unit that does not exist")
    kinds = UNIT_KINDS_OF_ROLE.get(actor.role)
    if kinds is not None and unit.kind not in kinds:
        names = " or ".join(k.value for k in sorted(kinds))
        raise ApiError(401, "invalid_token", f"a {actor.role.value} works in a {names}, not in a {unit.kind.value} "
                                              f"({unit.code})")


# Which kind of unit each role works in: a supervisor of a grid could decide its own grid's appeals.
UNIT_KINDS_OF_ROLE: dict[Role, set[UnitKind]] = {
    Role.GRID_WORKER: {UnitKind.GRID},
    Role.COMMUNITY_STAFF: {UnitKind.COMMUNITY},
    Role.STREET_STAFF: {UnitKind.STREET, UnitKind.PROPERTY_OFFICE},  # 物业办: a street's property office
    Role.DEPARTMENT_STAFF: {UnitKind.DEPARTMENT},
    Role.PROPERTY_STAFF: {UnitKind.PROPERTY_COMPANY},
    Role.DISPATCHER: {UnitKind.DISTRICT, UnitKind.STREET},
    Role.RETURN_VISITOR: {UnitKind.DISTRICT, UnitKind.STREET},
    Role.SUPERVISOR: {UnitKind.DISTRICT, UnitKind.STREET},
    Role.AUDITOR: {UnitKind.DISTRICT, UnitKind.STREET},
    Role.ADMIN: {UnitKind.DISTRICT},  # an admin is the city level; one naming a unit sits at a district
}


CurrentActor = Annotated[Actor, Depends(_authenticate)]
