"""The password rules of the guide: the rules themselves (served as data to the pages, so the ticks shown
while typing are these), the common-password list, the checks of a new password and initial passwords.

Pure code: the only I/O is reading the two shipped lists in ``services/auth/data/`` (once, lazily).
Every message meant for a user is in French. Hashing is services/auth/hashing.py.
"""

from __future__ import annotations

import gzip
import secrets
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
COMMON_LIST_DJANGO = DATA_DIR / "common-passwords.txt.gz"
COMMON_LIST_FR = DATA_DIR / "common-passwords-fr.txt"

MIN_LENGTH = 8
MAX_LENGTH = 30


@dataclass(frozen=True)
class PasswordRule:
    """One rule of the guide, as data: a length bound, or one character of a Unicode class.

    `pattern` is written as a browser reads it (`new RegExp(pattern, "u")`); the server tests the same
    class with the character predicate beside it (`str.islower` for ``\\p{Ll}``...), on the NFKC form."""

    id: str
    label: str
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None


# In the order the guide shows them; the labels are the pages' (services/gateway/templates/_password_fields.html).
PASSWORD_RULES: tuple[PasswordRule, ...] = (
    PasswordRule("min_length", "Au minimum 8 caractères alpha-numériques (symboles autorisés)", min_length=MIN_LENGTH),
    PasswordRule("lower", "Au moins 1 lettre en minuscule", pattern=r"\p{Ll}"),
    PasswordRule("upper", "Au moins 1 lettre en majuscule", pattern=r"\p{Lu}"),
    PasswordRule("digit", "Au moins 1 chiffre", pattern=r"\p{Nd}"),
    PasswordRule("max_length", "Au maximum 30 caractères", max_length=MAX_LENGTH),
)
# The character class of each pattern, as the server tests it.
_CHARACTER_CLASSES = {r"\p{Ll}": str.islower, r"\p{Lu}": str.isupper, r"\p{Nd}": str.isdigit}


def is_met(rule: PasswordRule, password: str) -> bool:
    """Whether `password` (already NFKC) meets `rule`."""
    if rule.min_length is not None and len(password) < rule.min_length:
        return False
    if rule.max_length is not None and len(password) > rule.max_length:
        return False
    return rule.pattern is None or any(_CHARACTER_CLASSES[rule.pattern](ch) for ch in password)


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
    return [RuleCheck(rule.id, rule.label, is_met(rule, pw)) for rule in PASSWORD_RULES]


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
