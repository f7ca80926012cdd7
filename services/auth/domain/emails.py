"""The e-mail addresses of an account: each one checked and written in its normal form, at most five,
every problem said in French."""

from __future__ import annotations

from collections.abc import Iterable

from email_validator import EmailNotValidError, validate_email

MAX_ADDRESSES = 5
TOO_MANY = "Vous pouvez saisir au plus 5 adresses courriel."


def normalized(addresses: Iterable[str]) -> tuple[list[str], list[str]]:
    """The valid addresses (normal form) and a French message per invalid one."""
    valid, errors = [], []
    for address in addresses:
        try:
            valid.append(validate_email(address, check_deliverability=False).normalized)
        except EmailNotValidError:
            errors.append(f"Adresse courriel invalide : « {address} »")
    return valid, errors


def single(address: str) -> str | None:
    """One address in its normal form, None when it is not an address."""
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def profile_errors(addresses: list[str], password: str) -> list[str]:
    """What refuses a change of the profile's addresses, besides invalid ones (`normalized`)."""
    errors = []
    if len(addresses) > MAX_ADDRESSES:
        errors.append(TOO_MANY)
    if not password:
        errors.append("Saisissez votre mot de passe actuel pour modifier vos adresses courriel.")
    return errors


def changed(before: list[str], after: list[str]) -> bool:
    """Whether the addresses changed (case does not count); a first address is then told."""
    return bool(before) and [e.lower() for e in before] != [e.lower() for e in after]
