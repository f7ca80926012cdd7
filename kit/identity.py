"""The short-lived signed identity the gateway forwards to a service with each request.

Services verify it and enforce authorisation themselves: a parent sees only their family, a staff
member only their structures."""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from typing import Literal

import jwt
from pydantic import BaseModel, ConfigDict, Field

HEADER = "X-Portail-Identity"
_ALGORITHM = "HS256"
_AUDIENCE = "portail-services"

Role = Literal["anonymous", "parent", "staff", "admin"]


class Identity(BaseModel):
    model_config = ConfigDict(frozen=True)

    subject: str = Field(description="account id, or 'anonymous'")
    role: Role
    family_id: uuid.UUID | None = None
    structures: tuple[uuid.UUID, ...] = ()
    session_id: uuid.UUID | None = Field(default=None, description="the signed-in session, when there is one")

    @classmethod
    def anonymous(cls) -> Identity:
        return cls(subject="anonymous", role="anonymous")

    def may_see_family(self, family_id: uuid.UUID) -> bool:
        return self.role == "admin" or (self.role == "parent" and self.family_id == family_id)

    def may_manage_structure(self, structure_id: uuid.UUID) -> bool:
        return self.role == "admin" or (self.role == "staff" and structure_id in self.structures)


class InvalidIdentity(Exception):
    pass


def issue(identity: Identity, secret: str, ttl_seconds: int = 60) -> str:
    now = int(time.time())
    claims = {
        "sub": identity.subject, "role": identity.role, "aud": _AUDIENCE, "iat": now, "exp": now + ttl_seconds,
        "fam": str(identity.family_id) if identity.family_id else None,
        "str": [str(s) for s in identity.structures],
        "sid": str(identity.session_id) if identity.session_id else None,
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


# Tokens already verified, until their expiry: the gateway reuses a token for the same identity (a few dozen
# seconds), and PyJWT's checks cost a tenth of a millisecond per request. Bounded; the oldest go first.
_VERIFIED: OrderedDict[tuple[str, str], tuple[Identity, float, float]] = OrderedDict()
_VERIFIED_MAX = 4096


def verify(token: str, secret: str) -> Identity:
    key = (token, secret)
    known = _VERIFIED.get(key)
    if known is not None and known[1] <= time.time() < known[2]:  # PyJWT's own rules (issued, expiry)
        return known[0]
    try:
        claims = jwt.decode(token, secret, algorithms=[_ALGORITHM], audience=_AUDIENCE,
                            options={"require": ["exp", "sub", "aud"]})
        identity = Identity(subject=claims["sub"], role=claims["role"], family_id=claims.get("fam"),
                            structures=tuple(claims.get("str") or ()), session_id=claims.get("sid"))
    except (jwt.PyJWTError, ValueError, KeyError) as exc:
        raise InvalidIdentity(str(exc)) from exc
    _VERIFIED[key] = (identity, float(claims.get("iat") or 0), float(claims["exp"]))
    while len(_VERIFIED) > _VERIFIED_MAX:
        _VERIFIED.popitem(last=False)
    return identity
