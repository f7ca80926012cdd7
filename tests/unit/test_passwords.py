"""The guide's password rules, the common-password list, argon2id hashing, initial passwords."""

import argon2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.auth.domain.passwords import (
    MSG_COMMON,
    MSG_CONFIRMATION,
    MSG_IDENTIFIANT,
    MSG_SAME_AS_CURRENT,
    PASSWORD_RULES,
    PasswordRejected,
    check_rules,
    common_passwords,
    generate_initial_password,
    is_common,
    validate_new_password,
)
from services.auth.hashing import PasswordHasher

RULES = tuple((rule.id, rule.label) for rule in PASSWORD_RULES)

STRONG = "Cantine-Mercredi-2027"


def unmet(password: str) -> set[str]:
    return {check.key for check in check_rules(password) if not check.met}


def rejection(password: str, confirmation: str | None = None, **kwargs) -> list[str]:
    with pytest.raises(PasswordRejected) as info:
        validate_new_password(password, password if confirmation is None else confirmation, **kwargs)
    return info.value.messages


def rule_message(key: str) -> str:
    return f"Le mot de passe doit respecter la règle : « {dict(RULES)[key]} »"


# -- rules -----------------------------------------------------------------------------------


def test_labels_exactly_as_in_the_guide_and_in_order():
    assert RULES == (
        ("min_length", "Au minimum 8 caractères alpha-numériques (symboles autorisés)"),
        ("lower", "Au moins 1 lettre en minuscule"),
        ("upper", "Au moins 1 lettre en majuscule"),
        ("digit", "Au moins 1 chiffre"),
        ("max_length", "Au maximum 30 caractères"),
    )
    checks = check_rules("x")
    assert [(c.key, c.label) for c in checks] == list(RULES)


def test_min_length_edge():
    assert "min_length" in unmet("Abcdef7")  # 7
    assert unmet("Abcdef78") == set()  # 8


def test_max_length_edge():
    thirty = "Ab3" + "x" * 27
    assert len(thirty) == 30 and unmet(thirty) == set()
    assert unmet(thirty + "y") == {"max_length"}


@pytest.mark.parametrize(("password", "missing"), [
    ("ABCDEFG7", "lower"),
    ("abcdefg7", "upper"),
    ("Abcdefgh", "digit"),
])
def test_each_character_class(password, missing):
    assert unmet(password) == {missing}


def test_accented_letters_count_as_letters():
    assert unmet("ÉLÉPHANT9é") == set()
    assert unmet("éléphant9É") == set()
    assert "lower" in unmet("ÉLÉPHANT9")
    assert "upper" in unmet("éléphant9")


def test_symbols_allowed():
    assert unmet("Ab3!@#$%^&*()_+ «»€") == set()
    validate_new_password("Mé+-*/!?2x", "Mé+-*/!?2x")


def test_composed_and_decomposed_accents_are_the_same_password():
    composed, decomposed = "Crèche-Été-2027", "Cre\u0300che-E\u0301te\u0301-2027"
    validate_new_password(composed, decomposed)
    hasher = PasswordHasher()
    assert hasher.verify(hasher.hash(composed), decomposed)


# -- validate_new_password --------------------------------------------------------------------


def test_strong_password_accepted():
    validate_new_password(STRONG, STRONG, identifiant="dupont.jean", current="Ancien-Mot-2026")


def test_unmet_rule_messages():
    assert rejection("Zkw4") == [rule_message("min_length")]
    assert rejection("Xy7" + "q" * 28) == [rule_message("max_length")]
    assert rule_message("lower") == "Le mot de passe doit respecter la règle : « Au moins 1 lettre en minuscule »"


def test_confirmation_mismatch():
    assert rejection(STRONG, STRONG + "x") == [MSG_CONFIRMATION]
    assert MSG_CONFIRMATION == "Les deux mots de passe saisis ne sont pas identiques."


@pytest.mark.parametrize("password", ["Password1", "Azerty123", "Motdepasse1!", "Soleil2024", "Doudou-2024", "Marseille13"])
def test_common_passwords_refused(password):
    assert is_common(password)
    assert rejection(password) == [MSG_COMMON]
    assert MSG_COMMON == "Ce mot de passe est trop courant et facile à deviner : choisissez-en un autre."


def test_common_list_loaded_from_both_files():
    words = common_passwords()
    assert len(words) > 19_640
    assert {"password", "123456", "azerty", "motdepasse", "soleil", "jetaime"} <= words
    assert "" not in words
    assert not any("common french passwords" in w for w in words)  # the French file's comment header
    assert all(w == w.lower() for w in words)
    assert common_passwords() is words  # loaded once


def test_equal_to_identifiant_case_insensitive():
    assert rejection("Dupont.Jean42", identifiant="dupont.jean42") == [MSG_IDENTIFIANT]
    assert MSG_IDENTIFIANT == "Le mot de passe ne doit pas être votre identifiant."


def test_equal_to_current():
    assert rejection(STRONG, current=STRONG) == [MSG_SAME_AS_CURRENT]
    assert MSG_SAME_AS_CURRENT == "Le nouveau mot de passe doit être différent de l'ancien."


def test_several_messages_at_once():
    messages = rejection("azerty", "azertyy", identifiant="AZERTY", current="azerty")
    assert messages == [
        rule_message("min_length"),
        rule_message("upper"),
        rule_message("digit"),
        MSG_CONFIRMATION,
        MSG_COMMON,
        MSG_IDENTIFIANT,
        MSG_SAME_AS_CURRENT,
    ]


def test_rejection_is_a_value_error_with_french_text():
    with pytest.raises(ValueError, match="trop courant"):
        validate_new_password("Password1", "Password1")


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=0, max_size=40))
def test_rules_met_iff_accepted_for_non_common(password):
    if is_common(password):
        return
    all_met = all(check.met for check in check_rules(password))
    try:
        validate_new_password(password, password)
        accepted = True
    except PasswordRejected:
        accepted = False
    assert accepted == all_met


# -- initial passwords ------------------------------------------------------------------------


def test_generated_initial_passwords_are_valid():
    seen = set()
    for _ in range(200):
        password = generate_initial_password()
        assert len(password) == 12
        assert not set(password) & set("0Oo1lI")
        assert not is_common(password)
        validate_new_password(password, password)
        seen.add(password)
    assert len(seen) == 200


# -- hashing ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    return PasswordHasher()


def test_hash_round_trip(hasher):
    stored = hasher.hash(STRONG)
    assert "$argon2id$" in stored
    assert "m=19456,t=2,p=1" in stored
    assert hasher.verify(stored, STRONG)
    assert hasher.hash(STRONG) != stored  # salted


def test_wrong_password_is_false(hasher):
    assert hasher.verify(hasher.hash(STRONG), STRONG + "!") is False


@pytest.mark.parametrize("stored", ["", "not-a-hash", "$argon2id$v=19$m=19456,t=2,p=1$abc", "$2b$12$" + "a" * 53])
def test_malformed_hash_is_false(hasher, stored):
    assert hasher.verify(stored, STRONG) is False
    assert hasher.needs_rehash(stored) is True


def test_needs_rehash(hasher):
    weaker = argon2.PasswordHasher(time_cost=1, memory_cost=19 * 1024, parallelism=1).hash(STRONG)
    assert hasher.needs_rehash(weaker)
    assert hasher.verify(weaker, STRONG)  # still verifies, so the sign-in can rehash it
    assert not hasher.needs_rehash(hasher.hash(STRONG))


@pytest.mark.parametrize("kwargs", [
    {"memory_cost_kib": 19 * 1024 - 1},
    {"memory_cost_kib": 12 * 1024},
    {"time_cost": 1},
    {"parallelism": 0},
])
def test_constructor_refuses_below_owasp_minimum(kwargs):
    with pytest.raises(ValueError):
        PasswordHasher(**kwargs)


def test_stronger_parameters_accepted():
    stored = PasswordHasher(time_cost=3, memory_cost_kib=32 * 1024, parallelism=2).hash(STRONG)
    assert "m=32768,t=3,p=2" in stored


def test_dummy_verify_returns_nothing_and_never_raises(hasher):
    assert hasher.dummy_verify(STRONG) is None
    assert hasher.dummy_verify("") is None
