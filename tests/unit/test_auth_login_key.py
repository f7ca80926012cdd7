"""One normalisation of a typed identifiant, for the sign-in throttle and the account lookup alike."""

from __future__ import annotations

import pytest

from services.auth.domain.policy import login_key, throttle_key


@pytest.mark.parametrize("typed, key", [
    ("DUPONT-0042", "dupont-0042"),
    ("  dupont-0042 ", "dupont-0042"),
    ("\u212aISS-01", "kiss-01"),          # KELVIN SIGN
    ("KI\u1e9e-01", "kiss-01"),           # LATIN CAPITAL LETTER SHARP S
    ("KI\u00df-01", "kiss-01"),           # ß
    ("\uff2b\uff29\uff33\uff33-01", "kiss-01"),  # full-width letters
    ("\u00a0KISS-01\u2003", "kiss-01"),  # no-break and em spaces around
])
def test_spellings_of_one_identifiant_share_one_key(typed, key):
    assert login_key(typed) == key
    assert throttle_key(typed) == f"login:{key}"


def test_the_turkish_dotted_capital_i_is_not_an_ascii_i():
    # Python folds it to "i" + combining dot above: it finds no (ASCII) identifiant, so it neither signs
    # in nor needs the account's throttle. (PostgreSQL's lower() used to fold it to a plain "i".)
    assert login_key("KİSS-01") != "kiss-01"
    assert not login_key("KİSS-01").isascii()


def test_the_key_is_stable():
    for typed in ("\u212aI\u1e9e-01", "Dupont-0042", "agent.carteville", "İi"):
        assert login_key(login_key(typed)) == login_key(typed)


def test_a_huge_expansion_still_makes_a_short_key():
    typed = "\ufdfa" * 200  # each one is 18 characters once NFKC-normalised
    assert len(login_key(typed)) == 3600
    key = throttle_key(typed)
    assert key.startswith("login:sha256:") and len(key) < 100
    assert throttle_key(typed) == key and throttle_key("\ufdfa" * 199) != key
