"""The signed identity the gateway forwards, and who may see what."""

import base64
import json
import time
import uuid
from datetime import datetime

import jwt
import pytest

from kit import identity as identity_module
from kit.identity import Identity, InvalidIdentity, issue, verify

SECRET = "k" * 40
FAMILY, OTHER_FAMILY = uuid.uuid4(), uuid.uuid4()
STRUCTURE, OTHER_STRUCTURE = uuid.uuid4(), uuid.uuid4()

PARENT = Identity(subject="acc-1", role="parent", family_id=FAMILY)
STAFF = Identity(subject="acc-2", role="staff", structures=(STRUCTURE,))
ADMIN = Identity(subject="acc-3", role="admin")
ANONYMOUS = Identity.anonymous()


@pytest.mark.parametrize("identity", [PARENT, STAFF, ADMIN, ANONYMOUS], ids=lambda i: i.role)
def test_round_trip(identity):
    assert verify(issue(identity, SECRET), SECRET) == identity


def test_expired_token():
    with pytest.raises(InvalidIdentity):
        verify(issue(PARENT, SECRET, ttl_seconds=-5), SECRET)


def test_wrong_secret():
    with pytest.raises(InvalidIdentity):
        verify(issue(PARENT, SECRET), "w" * 40)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_tampered_token():
    header, payload, signature = issue(PARENT, SECRET).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "admin"
    with pytest.raises(InvalidIdentity):
        verify(".".join([header, _b64(claims), signature]), SECRET)


def test_unsigned_token_is_refused():
    header = _b64({"alg": "none", "typ": "JWT"})
    claims = _b64({"sub": "acc-1", "role": "admin", "aud": "portail-services", "exp": 4102444800})
    with pytest.raises(InvalidIdentity):
        verify(f"{header}.{claims}.", SECRET)


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c"])
def test_malformed_token(token):
    with pytest.raises(InvalidIdentity):
        verify(token, SECRET)


def test_parent_sees_only_their_family():
    assert PARENT.may_see_family(FAMILY)
    assert not PARENT.may_see_family(OTHER_FAMILY)
    assert not PARENT.may_manage_structure(STRUCTURE)


def test_parent_without_family_sees_none():
    assert not Identity(subject="acc-9", role="parent").may_see_family(FAMILY)


def test_staff_manages_only_their_structures():
    assert STAFF.may_manage_structure(STRUCTURE)
    assert not STAFF.may_manage_structure(OTHER_STRUCTURE)
    assert not STAFF.may_see_family(FAMILY)


def test_admin_sees_and_manages_everything():
    assert ADMIN.may_see_family(FAMILY) and ADMIN.may_see_family(OTHER_FAMILY)
    assert ADMIN.may_manage_structure(STRUCTURE) and ADMIN.may_manage_structure(OTHER_STRUCTURE)


def test_anonymous_sees_nothing():
    assert not ANONYMOUS.may_see_family(FAMILY)
    assert not ANONYMOUS.may_manage_structure(STRUCTURE)



def test_a_verified_token_is_kept_until_its_expiry_only(monkeypatch):
    """Verified once, then known (kit.identity keeps it); with another secret, or a minute later (both clocks
    moved: this module's and PyJWT's), refused as before."""
    token = issue(PARENT, SECRET, ttl_seconds=60)
    assert verify(token, SECRET) == PARENT and verify(token, SECRET) == PARENT
    with pytest.raises(InvalidIdentity):
        verify(token, "w" * 40)
    later = time.time() + 61

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.fromtimestamp(later, tz)

    monkeypatch.setattr(identity_module.time, "time", lambda: later)
    monkeypatch.setattr(jwt.api_jwt, "datetime", Later)
    with pytest.raises(InvalidIdentity):
        verify(token, SECRET)
