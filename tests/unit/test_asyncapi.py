"""contracts/asyncapi.json is generated from the code: it must be current, complete and put each
message on the right exchange."""

import json

import pytest

from contracts.envelope import INTERNAL, Envelope
from contracts.registry import MESSAGES
from kit import bus
from tools import asyncapi


@pytest.fixture(scope="module")
def generated() -> str:
    return asyncapi.render()


@pytest.fixture(scope="module")
def doc(generated) -> dict:
    return json.loads(generated)


def test_committed_document_is_current(generated):
    committed = asyncapi.OUTPUT.read_text(encoding="utf-8")
    assert committed == generated, (
        "contracts/asyncapi.json is stale: regenerate it with `uv run python -m tools.asyncapi`")


def test_generation_is_deterministic(generated):
    assert asyncapi.render() == generated


def test_check_mode_reports_a_stale_file(tmp_path, capsys):
    stale = tmp_path / "asyncapi.json"
    stale.write_text("{}\n", encoding="utf-8")
    assert asyncapi.main(["--check", "--output", str(stale)]) == 1
    assert "stale" in capsys.readouterr().err
    assert asyncapi.main(["--output", str(stale)]) == 0
    assert asyncapi.main(["--check", "--output", str(stale)]) == 0


def test_info(doc):
    assert doc["asyncapi"].startswith("3.")
    assert doc["info"]["title"] == "Portail Famille — bus d'événements"
    assert doc["info"]["version"] == "0.1.0"
    for words in ("event_id", "at least once", "<type>.v<major>"):
        assert words in doc["info"]["description"]


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: m.routing_key())
def test_every_message_is_published_with_its_routing_key(doc, message):
    key = message.routing_key()
    channel = doc["channels"][key]
    assert channel["address"] == key
    operation = doc["operations"][key]
    assert operation["action"] == "send"
    assert operation["bindings"]["amqp"]["cc"] == [key]
    assert operation["bindings"]["amqp"]["deliveryMode"] == 2  # persistent
    assert channel["bindings"]["amqp"]["exchange"]["name"] == bus.exchange_name(message)
    note = "reserved to the portal" if message.EXCHANGE == INTERNAL else "other municipal systems"
    assert note in channel["description"]
    schema_name = f"Envelope[{message.__name__}]"
    assert schema_name in doc["components"]["schemas"]
    (ref,) = channel["messages"].values()
    component = doc["components"]["messages"][ref["$ref"].rsplit("/", 1)[-1]]
    assert component["payload"] == {"$ref": f"#/components/schemas/Envelope%5B{message.__name__}%5D"}
    # the example shown is a valid envelope
    assert component["examples"]
    for example in component["examples"]:
        Envelope[message].model_validate(example["payload"])
    for example in doc["components"]["schemas"][schema_name]["examples"]:
        Envelope[message].model_validate(example)


def test_notify_send_is_internal_only(doc):
    exchanges = {ch["bindings"]["amqp"]["exchange"]["name"]
                 for ch in doc["channels"].values()
                 if ch["address"] == "notify.send.v1" and ch["bindings"]["amqp"]["is"] == "routingKey"}
    assert exchanges == {"portail.internal"}
    assert "portail.events" not in json.dumps(doc["channels"]["notify.send.v1"])
    assert "portail.internal" in doc["channels"]["notify.notify.send.v1"]["description"]


def test_subscribers_show_who_consumes_what(doc):
    for queue in ("notify.notify.send.v1", "notify.booking.transmitted.v1", "billing.booking.transmitted.v1"):
        channel = doc["channels"][queue]
        assert channel["bindings"]["amqp"]["queue"]["name"] == queue
        assert doc["operations"][queue]["action"] == "receive"
        (ref,) = channel["messages"].values()
        payload = doc["components"]["messages"][ref["$ref"].rsplit("/", 1)[-1]]["payload"]
        assert payload["$ref"].startswith("#/components/schemas/Envelope%5B")
    assert doc["channels"]["billing.booking.transmitted.v1"]["address"] == "booking.transmitted.v1"
