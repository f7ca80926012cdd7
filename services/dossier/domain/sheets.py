"""Completeness of the sheets of the family dossier: what a sheet needs before « Valider et transmettre
la fiche ». The forms themselves (fields, types, formats, ``parse``) are the published contract
``contracts.dossier_sheets``, re-exported here for dossier's code; completeness is checked only on
submission, types and formats on every save."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Any

from contracts.dossier_sheets import (
    CHILD_KINDS,
    FAMILY_KINDS,
    HEALTH_KINDS,
    LABELS,
    MODELS,
    AuthorisationsSheet,
    ContactLink,
    ContactsSheet,
    FamilySheet,
    HealthSheet,
    HouseRulesSheet,
    InsuranceSheet,
    NewInsurer,
    OtherGuardianSheet,
    SheetKind,
    Vaccination,
    parse,
)

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = [
    "CHILD_KINDS",
    "FAMILY_KINDS",
    "HEALTH_KINDS",
    "LABELS",
    "MODELS",
    "AuthorisationsSheet",
    "ContactLink",
    "ContactsSheet",
    "FamilySheet",
    "HealthSheet",
    "HouseRulesSheet",
    "InsuranceSheet",
    "NewInsurer",
    "OtherGuardianSheet",
    "SheetKind",
    "Vaccination",
    "is_dt_polio",
    "missing_for_submission",
    "parse",
    "read_saved",
]


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


# --------------------------------------------------------------------------- completeness

MISSING_BIRTH_DATE = "Date de naissance"
MISSING_ADDRESS = "Adresse"
MISSING_POSTAL_CODE = "Code postal"
MISSING_CITY = "Commune"
MISSING_PHONE = "Au moins un numéro de téléphone"
MISSING_EMAIL = "Adresse e-mail"
MISSING_REGIME = "Régime allocataire (CAF, MSA ou autre régime)"
MISSING_ALLOCATAIRE_NUMBER = "Numéro d'allocataire"
MISSING_LAST_NAME = "Nom"
MISSING_FIRST_NAME = "Prénom"
MISSING_CHILD_LINK = "Lien avec au moins un enfant"
MISSING_COMPANY = "Compagnie d'assurance"
MISSING_CONTRACT = "Numéro de contrat"
MISSING_EXPIRY = "Date d'échéance"
MISSING_AUTHORISATIONS: dict[str, str] = {
    "image_rights": "Droit à l'image : oui ou non",
    "publication_rights": "Droit de publication : oui ou non",
    "emergency_medical_care": "Soins médicaux d'urgence : oui ou non",
    "hospital_transport": "Transport à l'hôpital : oui ou non",
    "leave_alone_after_activity": "Partir seul après l'activité : oui ou non",
}
MISSING_VACCINATED = "Vaccins obligatoires : oui ou non"
MISSING_DT_POLIO = "Vaccin DT Polio et date du dernier rappel"
MISSING_PAI = "PAI (projet d'accueil individualisé) : oui ou non"
MISSING_DOCTOR = "Nom du médecin traitant"
MISSING_ACKNOWLEDGED = (
    "Cochez « J'ai pris connaissance du règlement intérieur et j'ai informé mon enfant de ce règlement »"
)
MISSING_SIGNER = "Nom du signataire"
MISSING_PLACE = "Fait à (lieu de signature)"
MISSING_SIGNED_ON = "Date de signature"
MISSING_SIGNED_AT = "Heure de signature"


def missing_relationship(position: int) -> str:
    return f"Lien de parenté du contact n° {position}"


def missing_child_relationship(position: int) -> str:
    return f"Lien de parenté avec l'enfant n° {position}"


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isascii() and c.isalnum())


def is_dt_polio(name: str | None) -> bool:
    """Whether a vaccine's name is the compulsory DT Polio (diphtheria, tetanus, poliomyelitis),
    alone (DTP, DT Polio, DTCaP…) or in a combined vaccine (tétravalent, hexavalent…)."""
    if not name:
        return False
    plain = _plain(name)
    return (
        "polio" in plain
        or plain.startswith(("dtp", "dtcap", "dtcp", "dtca", "dtpolio"))
        or any(word in plain for word in ("tetravalent", "pentavalent", "hexavalent"))
    )


def _family(data: FamilySheet) -> list[str]:
    missing = []
    if data.birth_date is None:
        missing.append(MISSING_BIRTH_DATE)
    if _blank(data.address):
        missing.append(MISSING_ADDRESS)
    if _blank(data.postal_code):
        missing.append(MISSING_POSTAL_CODE)
    if _blank(data.city):
        missing.append(MISSING_CITY)
    if all(_blank(p) for p in (data.phone_home, data.phone_mobile, data.phone_work)):
        missing.append(MISSING_PHONE)
    if _blank(data.email):
        missing.append(MISSING_EMAIL)
    if data.allocataire_regime is None:
        missing.append(MISSING_REGIME)
    elif data.allocataire_regime in ("CAF", "MSA") and _blank(data.allocataire_number):
        missing.append(MISSING_ALLOCATAIRE_NUMBER)
    return missing


def _other_guardian(data: OtherGuardianSheet) -> list[str]:
    missing = []
    if _blank(data.last_name):
        missing.append(MISSING_LAST_NAME)
    if _blank(data.first_name):
        missing.append(MISSING_FIRST_NAME)
    if not any(not _blank(p) for p in data.phones):
        missing.append(MISSING_PHONE)
    if not data.links:
        missing.append(MISSING_CHILD_LINK)
    for position, relationship in enumerate(data.links.values(), start=1):
        if _blank(relationship):
            missing.append(missing_child_relationship(position))
    return missing


def _insurance(data: InsuranceSheet) -> list[str]:
    missing = []
    if data.company_id is None and (data.new_company is None or _blank(data.new_company.name)):
        missing.append(MISSING_COMPANY)
    if _blank(data.contract_number):
        missing.append(MISSING_CONTRACT)
    if data.expiry_date is None:
        missing.append(MISSING_EXPIRY)
    return missing


def _authorisations(data: AuthorisationsSheet) -> list[str]:
    return [label for field, label in MISSING_AUTHORISATIONS.items() if getattr(data, field) is None]


def _contacts(data: ContactsSheet) -> list[str]:
    return [
        missing_relationship(position)
        for position, link in enumerate(data.links, start=1)
        if _blank(link.relationship)
    ]


def _health(data: HealthSheet) -> list[str]:
    missing = []
    if data.vaccinated is None:
        missing.append(MISSING_VACCINATED)
    elif data.vaccinated and not any(
        is_dt_polio(v.name) and v.last_date is not None for v in data.vaccinations
    ):
        missing.append(MISSING_DT_POLIO)
    if data.pai is None:
        missing.append(MISSING_PAI)
    if _blank(data.doctor_name):
        missing.append(MISSING_DOCTOR)
    return missing


def _house_rules(data: HouseRulesSheet) -> list[str]:
    missing = []
    if data.acknowledged is not True:
        missing.append(MISSING_ACKNOWLEDGED)
    if _blank(data.signer_name):
        missing.append(MISSING_SIGNER)
    if _blank(data.place):
        missing.append(MISSING_PLACE)
    if data.signed_on is None:
        missing.append(MISSING_SIGNED_ON)
    if data.signed_at is None:
        missing.append(MISSING_SIGNED_AT)
    return missing


_CHECKS: dict[SheetKind, Any] = {
    SheetKind.FAMILLE: _family,
    SheetKind.AUTRE_RESPONSABLE: _other_guardian,
    SheetKind.ASSURANCE: _insurance,
    SheetKind.AUTORISATIONS: _authorisations,
    SheetKind.CONTACTS: _contacts,
    SheetKind.SANITAIRE: _health,
    SheetKind.REGLEMENT: _house_rules,
}


def missing_for_submission(kind: SheetKind, data: BaseModel | dict) -> list[str]:
    """French labels of what must be filled before « Valider et transmettre la fiche », in the
    order of the form; an empty list when the sheet may be transmitted. A dict is parsed first."""
    kind = SheetKind(kind)
    if isinstance(data, dict):
        data = parse(kind, data)
    if not isinstance(data, MODELS[kind]):
        raise TypeError(f"{type(data).__name__} is not the data of a {kind} sheet")
    return _CHECKS[kind](data)


def read_saved(kind: SheetKind, data: dict) -> BaseModel:
    """The data of a saved sheet as its model; data saved under an older form that no longer parses reads
    as an empty sheet (everything still to fill in) rather than failing."""
    try:
        return parse(kind, data)
    except ValueError:  # pydantic's ValidationError is a ValueError
        return parse(kind, {})
