"""The fake store is the real one's double: each of its queries has the name and parameters of a query of
services/billing/store/, and the real store has no query the service layer uses that the fake lacks."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import services.billing
from services.billing.store import Store, Tx
from tests.unit.billing.fake_store import FakeStore

ONLY_REAL = {"has_tariff"}  # used by the demo command only


def _queries(cls: type) -> dict[str, inspect.Signature]:
    return {name: inspect.signature(member) for name, member in inspect.getmembers(cls, inspect.iscoroutinefunction)
            if not name.startswith("_")}


def test_every_fake_query_is_a_real_one_with_the_same_parameters():
    real, fake = _queries(Tx), _queries(FakeStore)
    assert set(fake) == set(real) - ONLY_REAL
    for name, signature in fake.items():
        assert list(signature.parameters) == list(real[name].parameters), name
        assert [p.kind for p in signature.parameters.values()] == [p.kind for p in real[name].parameters.values()]


def test_the_service_layer_calls_only_queries_of_the_store():
    service_dir = Path(services.billing.__file__).parent / "service"
    called = set()
    for path in service_dir.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "tx":
                called.add(node.attr)
    assert called - {"conn"} <= set(_queries(Tx)), called - set(_queries(Tx))
    assert hasattr(Store, "transaction") and hasattr(Store, "reading")
