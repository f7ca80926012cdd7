"""The gateway's Jinja environment reads `x.key` on a dict straight from the key (no AttributeError raised and
caught first, services/gateway/web/render.py), with the same answers as Jinja's own lookup."""

from jinja2 import Environment, StrictUndefined

from services.gateway.web.render import PageEnvironment

TEMPLATE = ("{{ d.outcome }}|{{ d.items() | list | length }}|{{ d.get('outcome') }}|{{ d.missing is defined }}|"
            "{{ o.real }}|{{ n.outcome }}")


class Sub(dict):
    pass


def test_same_answers_as_jinjas_own_lookup():
    data = {"d": {"outcome": "accepted", "items": [1, 2, 3]}, "o": 3, "n": Sub(outcome="waitlisted")}
    ours = PageEnvironment().from_string(TEMPLATE).render(**data)
    assert ours == Environment().from_string(TEMPLATE).render(**data)
    # a key named as a dict method stays the method, as in Jinja (d.items() above counts the two pairs)
    assert ours == "accepted|2|accepted|False|3|waitlisted"


def test_a_missing_key_is_undefined_as_in_jinja():
    env = PageEnvironment(undefined=StrictUndefined)
    assert env.from_string("{{ d.nothing is defined }}").render(d={}) == "False"


def test_a_key_is_read_without_trying_the_attribute_first(monkeypatch):
    calls = []
    monkeypatch.setattr(Environment, "getattr", lambda self, obj, attribute: calls.append(attribute) or "?")
    assert PageEnvironment().from_string("{{ d.outcome }}{{ d.keys }}").render(d={"outcome": "ok"}) == "ok?"
    assert calls == ["keys"]  # only the dict method's name went Jinja's way
