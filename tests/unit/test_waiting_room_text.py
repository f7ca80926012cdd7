"""The waiting room's sentence (services/gateway/pages/booking/confirm.py), in correct French: « 1 seconde »,
« 12 secondes »."""

from services.gateway.pages.booking.confirm import poll_seconds, waiting_text


def test_the_position_and_the_wait_agree_in_number():
    assert waiting_text({"position": 1, "eta_seconds": 1}) == (
        "Votre demande est dans la file d'attente : position 1, environ 1 seconde")
    assert waiting_text({"position": 37, "eta_seconds": 12}) == (
        "Votre demande est dans la file d'attente : position 37, environ 12 secondes")


def test_the_waiting_page_asks_again_when_booking_says_and_every_two_seconds_when_it_does_not_say():
    assert poll_seconds({"status": "queued", "poll_seconds": 30}) == 30
    assert poll_seconds({"status": "queued", "position": 3, "eta_seconds": 1}) == 2  # an older booking, mid-rollout
