"""The bus contracts: envelopes, payload validation, routing keys."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from contracts import BookingTransmittedV1, Envelope, NotifySendV1, booking, notify, wrap
from contracts.registry import BY_ROUTING_KEY, MESSAGES, envelope_model


def example(message):
    return message.model_validate(message.model_config["json_schema_extra"]["examples"][0])


def test_every_registered_message_has_a_valid_example():
    for message in MESSAGES:
        assert isinstance(example(message), message)


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: m.routing_key())
def test_envelope_round_trips_through_json(message):
    envelope = wrap(example(message), producer="test", correlation_id="corr-1",
                    trace_context={"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
    data = envelope.model_dump_json()
    back = envelope_model(message).model_validate_json(data)
    assert back == envelope
    assert back.payload == example(message)
    assert isinstance(back.payload, message)
    assert back.model_dump_json() == data


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: m.routing_key())
def test_wrap_fills_the_envelope(message):
    before = datetime.now(UTC)
    envelope = wrap(example(message), producer="booking")
    assert envelope.type == message.TYPE
    assert envelope.version == message.VERSION
    assert envelope.producer == "booking"
    assert isinstance(envelope.event_id, uuid.UUID)
    assert envelope.occurred_at.utcoffset() == timedelta(0)
    assert before <= envelope.occurred_at <= datetime.now(UTC)
    assert envelope.correlation_id is None and envelope.trace_context == {}


def test_wrap_gives_each_event_its_own_id():
    payload = example(NotifySendV1)
    assert wrap(payload, producer="auth").event_id != wrap(payload, producer="auth").event_id


def test_wrap_keeps_a_given_occurrence_time():
    at = datetime(2025, 9, 5, 2, 0, tzinfo=UTC)
    assert wrap(example(NotifySendV1), producer="auth", occurred_at=at).occurred_at == at


def test_extra_fields_are_refused_in_the_payload():
    with pytest.raises(ValidationError, match="extra"):
        NotifySendV1.model_validate({**notify.EXAMPLE, "cc": ["x@example.org"]})
    line = {**booking.EXAMPLE["lines"][0], "price": "3.20"}
    with pytest.raises(ValidationError, match="extra"):
        BookingTransmittedV1.model_validate({**booking.EXAMPLE, "lines": [line]})


def test_extra_fields_are_refused_in_the_envelope():
    data = wrap(example(NotifySendV1), producer="auth").model_dump(mode="json")
    data["priority"] = "high"
    with pytest.raises(ValidationError, match="extra"):
        Envelope[NotifySendV1].model_validate(data)


def test_envelope_validates_its_payload_type():
    data = wrap(example(NotifySendV1), producer="auth").model_dump(mode="json")
    with pytest.raises(ValidationError):
        Envelope[BookingTransmittedV1].model_validate(data)


def test_booking_transmitted_needs_at_least_one_line():
    with pytest.raises(ValidationError, match="lines"):
        BookingTransmittedV1.model_validate({**booking.EXAMPLE, "lines": []})


@pytest.mark.parametrize("address", ["not-an-address", "parent@", "a b@example.org", ""])
def test_notify_send_refuses_bad_addresses(address):
    with pytest.raises(ValidationError, match="to"):
        NotifySendV1.model_validate({**notify.EXAMPLE, "to": [address]})


def test_notify_send_needs_one_to_ten_recipients():
    with pytest.raises(ValidationError):
        NotifySendV1.model_validate({**notify.EXAMPLE, "to": []})
    with pytest.raises(ValidationError):
        NotifySendV1.model_validate({**notify.EXAMPLE, "to": [f"p{i}@example.org" for i in range(11)]})


def test_notify_send_refuses_an_unknown_template():
    with pytest.raises(ValidationError, match="template"):
        NotifySendV1.model_validate({**notify.EXAMPLE, "template": "newsletter"})


def test_payloads_are_immutable():
    payload = example(NotifySendV1)
    with pytest.raises(ValidationError):
        payload.template = "message"


def test_routing_keys():
    assert BookingTransmittedV1.routing_key() == "booking.transmitted.v1"
    assert NotifySendV1.routing_key() == "notify.send.v1"
    assert set(BY_ROUTING_KEY) == {
        "auth.structure_changed.v1", "auth.account_created.v1", "auth.family_changed.v1",
        "auth.family_contacts.v1", "booking.transmitted.v1", "booking.waitlist_promoted.v1",
        "dossier.house_rules_signed.v1", "dossier.sheet_reviewed.v1", "billing.payment_received.v1",
        "notify.send.v1", "notify.mail_sent.v1", "dossier.family_updated.v1", "billing.tariff_published.v1",
        "billing.consumption_recorded.v1", "billing.invoice_issued.v1", "dossier.sheet_submitted.v1",
        # the public versions without personal detail (v1 of these moved to the internal exchange)
        "auth.family_changed.v2", "booking.transmitted.v2", "booking.waitlist_promoted.v2",
        "dossier.sheet_reviewed.v2",
        # resync and consistency check (issue 14)
        "booking.booking_state.v1", "consistency.check_requested.v1", "auth.facts_digest.v1",
        "dossier.facts_digest.v1", "booking.facts_digest.v1", "consistency.verdict.v1",
        # the versioned règlement intérieur and the campaign's reminders (issue 16)
        "dossier.house_rules_published.v1", "dossier.reminder.v1",
        # mass closures (issue 19)
        "booking.closed.v1", "booking.reopened.v1", "booking.closure_notice.v1",
        "booking.absence_justified.v1", "booking.absence_justified.v2",
        # the automatic reminders (issue 19)
        "booking.reminder_due.v1", "dossier.closing_reminder.v1"}


def test_exchanges():
    from contracts.auth import AuthFamilyChangedV1, AuthFamilyChangedV2, AuthFamilyContactsV1
    from contracts.booking import BookingTransmittedV2

    # contact details never on the public exchange
    assert AuthFamilyContactsV1.EXCHANGE == "internal"
    # names and birth dates only on the internal exchange; the public version has identifiers
    assert AuthFamilyChangedV1.EXCHANGE == "internal"
    assert AuthFamilyChangedV2.EXCHANGE == "public"
    assert "emails" not in AuthFamilyChangedV1.model_fields
    assert BookingTransmittedV1.EXCHANGE == "internal"
    assert BookingTransmittedV2.EXCHANGE == "public"
    assert NotifySendV1.EXCHANGE == "internal"
