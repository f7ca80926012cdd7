"""Fixtures of the service-layer unit tests: a family with a child, the open campaign, staff of the
child's structure and of another, all in the in-memory fake store."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest

from kit.identity import Identity
from services.dossier.store import Child
from tests.unit.dossier.fake_store import FakeOutbox, FakeStore

HERE, THERE = uuid.uuid4(), uuid.uuid4()


@dataclass
class World:
    store: FakeStore
    outbox: FakeOutbox
    family_id: uuid.UUID
    child: Child
    parent: Identity
    other_parent: Identity
    staff: Identity
    staff_elsewhere: Identity
    admin: Identity


@pytest.fixture
def world() -> World:
    store = FakeStore()
    family_id = uuid.uuid4()
    store.add_family(family_id)
    child = store.add_child(family_id, "Léo", HERE)
    store.data.campaigns.append(store_campaign("2026-2027"))
    return World(store, FakeOutbox(), family_id, child,
                 Identity(subject="p", role="parent", family_id=family_id),
                 Identity(subject="o", role="parent", family_id=uuid.uuid4()),
                 Identity(subject="s", role="staff", structures=(HERE,)),
                 Identity(subject="e", role="staff", structures=(THERE,)),
                 Identity(subject="a", role="admin"))


def store_campaign(school_year: str):
    from services.dossier.store import Campaign

    return Campaign(uuid.uuid4(), school_year)
