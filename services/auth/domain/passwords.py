"""Password rules of the guide, the common-password list, argon2id hashing and initial passwords.

Pure code: the only I/O is reading the two shipped lists in ``data/`` (once, lazily).
Every message meant for a user is in French.
"""

from __future__ import annotations

import gzip
import secrets
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

DATA_DIR = Path(__file__).resolve().parent / "data"
COMMON_LIST_DJANGO = DATA_DIR / "common-passwords.txt.gz"
COMMON_LIST_FR = DATA_DIR / "common-passwords-fr.txt"

MIN_LENGTH = 8
MAX_LENGTH = 30

# (key, label) in the order the guide shows them.
RULES: tuple[tuple[str, str], ...] = (
    ("min_length", "Au minimum 8 caractères alpha-numériques (symboles autorisés)"),
    ("lower", "Au moins 1 lettre en minuscule"),
    ("upper", "Au moins 1 lettre en majuscule"),
    ("digit", "Au moins 1 chiffre"),
    ("max_length", "Au maximum 30 caractères"),
)

MSG_RULE = "Le mot de passe doit respecter la règle : « {label} »"
MSG_CONFIRMATION = "Les deux mots de passe saisis ne sont pas identiques."
MSG_COMMON = "Ce mot de passe est trop courant et facile à deviner : choisissez-en un autre."
MSG_IDENTIFIANT = "Le mot de passe ne doit pas être votre identifiant."
MSG_SAME_AS_CURRENT = "Le nouveau mot de passe doit être différent de l'ancien."


def normalize(password: str) -> str:
    """NFKC form (NIST SP 800-63B §5.1.1.2): the same password typed on two keyboards that
    produce composed or decomposed accents gives the same rules, comparisons and hash."""
    return unicodedata.normalize("NFKC", password)


@dataclass(frozen=True)
class RuleCheck:
    key: str
    label: str
    met: bool


def check_rules(password: str) -> list[RuleCheck]:
    """Each rule of the guide, in order, with whether ``password`` meets it."""
    pw = normalize(password)
    met = {
        "min_length": len(pw) >= MIN_LENGTH,
        "lower": any(ch.islower() for ch in pw),
        "upper": any(ch.isupper() for ch in pw),
        "digit": any(ch.isdigit() for ch in pw),
        "max_length": len(pw) <= MAX_LENGTH,
    }
    return [RuleCheck(key, label, met[key]) for key, label in RULES]


@cache
def common_passwords() -> frozenset[str]:
    """Django's list plus the French one, lower-case; read once, on first use."""
    words: set[str] = set()
    with gzip.open(COMMON_LIST_DJANGO, "rt", encoding="utf-8") as f:
        words.update(line.strip() for line in f)
    with open(COMMON_LIST_FR, encoding="utf-8") as f:
        words.update(line.strip().lower() for line in f if not line.lstrip().startswith("#"))
    words.discard("")
    return frozenset(words)


def is_common(password: str) -> bool:
    """True when the lower-case password, or the lower-case password without its trailing
    digits and symbols ("Soleil2024!" -> "soleil"), is in the list."""
    lowered = normalize(password).lower()
    stem = lowered
    while stem and not stem[-1].isalpha():
        stem = stem[:-1]
    words = common_passwords()
    return lowered in words or (bool(stem) and stem in words)


class PasswordRejected(ValueError):
    """The new password is refused; ``messages`` has one French sentence per problem."""

    def __init__(self, messages: list[str]):
        super().__init__(" ".join(messages))
        self.messages = list(messages)


def validate_new_password(
    password: str,
    confirmation: str,
    *,
    identifiant: str | None = None,
    current: str | None = None,
) -> None:
    """Raise :class:`PasswordRejected` listing every problem, or return None."""
    pw = normalize(password)
    messages = [MSG_RULE.format(label=check.label) for check in check_rules(pw) if not check.met]
    if pw != normalize(confirmation):
        messages.append(MSG_CONFIRMATION)
    if is_common(pw):
        messages.append(MSG_COMMON)
    if identifiant and pw.casefold() == normalize(identifiant).strip().casefold():
        messages.append(MSG_IDENTIFIANT)
    if current is not None and pw == normalize(current):
        messages.append(MSG_SAME_AS_CURRENT)
    if messages:
        raise PasswordRejected(messages)


# OWASP Password Storage Cheat Sheet, argon2id minimum: 19 MiB, 2 iterations, 1 degree of parallelism.
MIN_TIME_COST = 2
MIN_MEMORY_COST_KIB = 19 * 1024
MIN_PARALLELISM = 1


class PasswordHasher:
    """argon2id, never below the OWASP minimum. ``verify`` never raises for a wrong password
    or a malformed stored hash; ``dummy_verify`` costs the same as ``verify`` so that a sign-in
    for an unknown identifiant takes as long as one for a known identifiant."""

    def __init__(
        self,
        time_cost: int = MIN_TIME_COST,
        memory_cost_kib: int = MIN_MEMORY_COST_KIB,
        parallelism: int = MIN_PARALLELISM,
    ):
        if time_cost < MIN_TIME_COST:
            raise ValueError(f"argon2 time_cost must be >= {MIN_TIME_COST}, got {time_cost}")
        if memory_cost_kib < MIN_MEMORY_COST_KIB:
            raise ValueError(f"argon2 memory_cost_kib must be >= {MIN_MEMORY_COST_KIB}, got {memory_cost_kib}")
        if parallelism < MIN_PARALLELISM:
            raise ValueError(f"argon2 parallelism must be >= {MIN_PARALLELISM}, got {parallelism}")
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost_kib,
            parallelism=parallelism,
            type=argon2.Type.ID,
        )
        # A hash of a random secret with this hasher's own parameters, made up front so that
        # even the first dummy_verify costs exactly one verification.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(24))

    def hash(self, password: str) -> str:
        return self._hasher.hash(normalize(password))

    def verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, normalize(password))
        except (VerificationError, InvalidHashError):  # VerifyMismatchError is a VerificationError
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        try:
            return self._hasher.check_needs_rehash(stored_hash)
        except (InvalidHashError, ValueError):
            return True

    def dummy_verify(self, password: str) -> None:
        self.verify(self._dummy_hash, password)


# Letters and digits that cannot be mistaken for one another on a letter or a screen:
# no 0 O o 1 l I.
_UNAMBIGUOUS_LOWER = "abcdefghijkmnpqrstuvwxyz"
_UNAMBIGUOUS_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_UNAMBIGUOUS_DIGITS = "23456789"
_INITIAL_ALPHABET = _UNAMBIGUOUS_LOWER + _UNAMBIGUOUS_UPPER + _UNAMBIGUOUS_DIGITS
INITIAL_PASSWORD_LENGTH = 12


def generate_initial_password() -> str:
    """A random 12-character password (about 70 bits) that meets every rule and is not common."""
    while True:
        candidate = "".join(secrets.choice(_INITIAL_ALPHABET) for _ in range(INITIAL_PASSWORD_LENGTH))
        if all(check.met for check in check_rules(candidate)) and not is_common(candidate):
            return candidate
