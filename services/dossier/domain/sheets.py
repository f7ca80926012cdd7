"""The sheets of the family dossier and the data of each one.

Every field is optional so that a draft (« Enregistrer en brouillon ») can be partial; what a
sheet needs before « Valider et transmettre la fiche » is told by ``missing_for_submission``.
Types and formats are checked on every save (``parse``), completeness only on submission."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, time
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.networks import validate_email
from pydantic_core import PydanticCustomError

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
]


class SheetKind(StrEnum):
    FAMILLE = "famille"
    AUTRE_RESPONSABLE = "autre_responsable"
    ASSURANCE = "assurance"
    AUTORISATIONS = "autorisations"
    CONTACTS = "contacts"
    SANITAIRE = "sanitaire"
    REGLEMENT = "reglement"


# One per family (famille) or per other guardian (autre_responsable).
FAMILY_KINDS: frozenset[SheetKind] = frozenset({SheetKind.FAMILLE, SheetKind.AUTRE_RESPONSABLE})
# One per child; reglement: one per child AND structure.
CHILD_KINDS: frozenset[SheetKind] = frozenset(
    {
        SheetKind.ASSURANCE,
        SheetKind.AUTORISATIONS,
        SheetKind.CONTACTS,
        SheetKind.SANITAIRE,
        SheetKind.REGLEMENT,
    }
)
# Health data (GDPR art. 9): encrypted at rest, every read audited. The authorisations sheet
# holds the medical authorisations (emergency care, hospital transport).
HEALTH_KINDS: frozenset[SheetKind] = frozenset({SheetKind.SANITAIRE, SheetKind.AUTORISATIONS})

LABELS: dict[SheetKind, str] = {
    SheetKind.FAMILLE: "Fiche famille",
    SheetKind.AUTRE_RESPONSABLE: "Fiche autre responsable",
    SheetKind.ASSURANCE: "Fiche assurance",
    SheetKind.AUTORISATIONS: "Fiche d'autorisations",
    SheetKind.CONTACTS: "Fiche de contacts",
    SheetKind.SANITAIRE: "Fiche sanitaire",
    SheetKind.REGLEMENT: "Règlement intérieur",
}

# --------------------------------------------------------------------------- field types

_PHONE_SEPARATORS = re.compile(r"[\s.\-]")
_PHONE_NATIONAL = re.compile(r"0[1-9]\d{8}", re.ASCII)
_PHONE_INTERNATIONAL = re.compile(r"\+33[1-9]\d{8}", re.ASCII)
_POSTAL_CODE = re.compile(r"\d{5}", re.ASCII)


def _check_phone(value: str) -> str:
    """A French number, loosely: 10 digits starting with 0, or +33 and 9 digits; spaces,
    dots and dashes between digits are tolerated. Kept as typed (whitespace collapsed)."""
    compact = _PHONE_SEPARATORS.sub("", value)
    if not (_PHONE_NATIONAL.fullmatch(compact) or _PHONE_INTERNATIONAL.fullmatch(compact)):
        raise PydanticCustomError(
            "telephone_invalide",
            "Numéro de téléphone invalide : 10 chiffres (ex. 06 12 34 56 78) ou +33 suivi de 9 chiffres.",
        )
    return " ".join(value.split())


def _check_postal_code(value: str) -> str:
    compact = value.replace(" ", "")
    if not _POSTAL_CODE.fullmatch(compact):
        raise PydanticCustomError("code_postal_invalide", "Code postal invalide : 5 chiffres attendus.")
    return compact


def _check_email(value: str) -> str:
    try:
        _, email = validate_email(value)
    except PydanticCustomError:
        raise PydanticCustomError(
            "email_invalide", "Adresse e-mail invalide (exemple : prenom.nom@exemple.fr)."
        ) from None
    return email


def _today(info: ValidationInfo) -> date | None:
    """The day in Paris the caller saves on (`parse(..., today=...)`); None when data already saved
    is read back, which was checked when it was saved."""
    return (info.context or {}).get("today")


def _check_past_date(value: date, info: ValidationInfo) -> date:
    today = _today(info)
    if today is not None and value > today:
        raise PydanticCustomError("date_future", "Cette date ne peut pas être dans le futur.")
    return value


Phone = Annotated[str, AfterValidator(_check_phone)]
PostalCode = Annotated[str, AfterValidator(_check_postal_code)]
Email = Annotated[str, AfterValidator(_check_email)]
PastDate = Annotated[date, AfterValidator(_check_past_date)]
Text = Annotated[str, Field(max_length=500)]
LongText = Annotated[str, Field(max_length=4000)]


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


class _Data(BaseModel):
    """Common configuration: unknown fields refused, strings trimmed, a blank string read as
    "not answered" (None) and a null list as an empty one, as forms send them."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        if value is None and info.field_name is not None:
            field = cls.model_fields[info.field_name]
            if field.default_factory is not None:
                return field.default_factory()  # type: ignore[call-arg]
        return value


# --------------------------------------------------------------------------- family sheets


class FamilySheet(_Data):
    birth_date: PastDate | None = Field(None, description="Date de naissance")
    address: Text | None = Field(None, description="Adresse")
    postal_code: PostalCode | None = Field(None, description="Code postal")
    city: Text | None = Field(None, description="Commune")
    phone_home: Phone | None = Field(None, description="Téléphone du domicile")
    phone_mobile: Phone | None = Field(None, description="Téléphone portable")
    phone_work: Phone | None = Field(None, description="Téléphone professionnel")
    email: Email | None = Field(None, description="Adresse e-mail")
    allocataire_regime: Literal["CAF", "MSA", "autre"] | None = Field(
        None, description="Régime allocataire : CAF, MSA ou autre régime"
    )
    allocataire_number: Text | None = Field(None, description="Numéro d'allocataire")
    family_quotient: int | None = Field(None, ge=0, description="Quotient familial")
    profession: Text | None = Field(None, description="Profession")
    employer: Text | None = Field(None, description="Employeur")


class OtherGuardianSheet(_Data):
    last_name: Text | None = Field(None, description="Nom")
    first_name: Text | None = Field(None, description="Prénom")
    address: Text | None = Field(None, description="Adresse")
    postal_code: PostalCode | None = Field(None, description="Code postal")
    city: Text | None = Field(None, description="Commune")
    phones: list[Phone] = Field(default_factory=list, max_length=5, description="Téléphones")
    email: Email | None = Field(None, description="Adresse e-mail")
    links: dict[str, Text] = Field(
        default_factory=dict,
        description="Lien avec les enfants de la famille : identifiant de l'enfant → lien de parenté",
    )

    @field_validator("phones", mode="before")
    @classmethod
    def _drop_blank_phones(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [p for p in value if not (isinstance(p, str) and not p.strip())]
        return value

    @field_validator("links")
    @classmethod
    def _child_ids(cls, value: dict[str, str]) -> dict[str, str]:
        cleaned = {k.strip(): v for k, v in value.items()}
        if "" in cleaned:
            raise PydanticCustomError("enfant_inconnu", "Lien avec un enfant non désigné.")
        return cleaned


# --------------------------------------------------------------------------- child sheets


class NewInsurer(_Data):
    name: Text | None = Field(None, description="Nom de la compagnie")
    address: Text | None = Field(None, description="Adresse de la compagnie")
    phone: Phone | None = Field(None, description="Téléphone de la compagnie")


class InsuranceSheet(_Data):
    company_id: UUID | None = Field(None, description="Compagnie choisie dans la liste proposée")
    new_company: NewInsurer | None = Field(None, description="Nouvelle compagnie, absente de la liste")
    contract_number: Text | None = Field(None, description="Numéro de contrat")
    expiry_date: date | None = Field(None, description="Date d'échéance")


class AuthorisationsSheet(_Data):
    image_rights: bool | None = Field(None, description="Droit à l'image")
    publication_rights: bool | None = Field(None, description="Droit de publication")
    emergency_medical_care: bool | None = Field(
        None, description="Autorisation de soins médicaux ou chirurgicaux d'urgence"
    )
    hospital_transport: bool | None = Field(None, description="Autorisation de transport à l'hôpital")
    leave_alone_after_activity: bool | None = Field(
        None, description="Autorisation de partir seul après l'activité"
    )
    remarks: LongText | None = Field(None, description="Remarques")


class ContactLink(_Data):
    contact_id: UUID = Field(description="Contact du dossier")
    relationship: Text | None = Field(None, description="Lien de parenté avec l'enfant")
    may_pick_up: bool = Field(False, description="Autorisé à récupérer l'enfant")
    call_in_emergency: bool = Field(False, description="À appeler en cas d'urgence")


class ContactsSheet(_Data):
    links: list[ContactLink] = Field(
        default_factory=list, max_length=50, description="Personnes autorisées ou à contacter"
    )

    @field_validator("links")
    @classmethod
    def _no_duplicate(cls, value: list[ContactLink]) -> list[ContactLink]:
        ids = [link.contact_id for link in value]
        if len(set(ids)) != len(ids):
            raise PydanticCustomError("contact_en_double", "Un même contact figure deux fois sur la fiche.")
        return value


class Vaccination(_Data):
    name: Text | None = Field(None, description="Vaccin")
    last_date: PastDate | None = Field(None, description="Date du dernier rappel")


class HealthSheet(_Data):
    vaccinated: bool | None = Field(None, description="L'enfant a-t-il les vaccins obligatoires ?")
    vaccinations: list[Vaccination] = Field(default_factory=list, max_length=30, description="Vaccins")
    contraindication: bool | None = Field(None, description="Contre-indication médicale à la vaccination")
    dietary_requirements: LongText | None = Field(None, description="Exigences alimentaires")
    allergies: LongText | None = Field(None, description="Allergies")
    pai: bool | None = Field(None, description="Projet d'accueil individualisé (PAI)")
    treatment: LongText | None = Field(None, description="Traitement médical en cours")
    doctor_name: Text | None = Field(None, description="Nom du médecin traitant")
    doctor_phone: Phone | None = Field(None, description="Téléphone du médecin traitant")


class HouseRulesSheet(_Data):
    acknowledged: bool | None = Field(
        None,
        description=(
            "J'ai pris connaissance du règlement intérieur et j'ai informé mon enfant de ce règlement"
        ),
    )
    signer_name: Text | None = Field(None, description="Nom du signataire")
    place: Text | None = Field(None, description="Fait à")
    signed_on: date | None = Field(None, description="Le (date)")
    signed_at: time | None = Field(None, description="À (heure)")

    @model_validator(mode="after")
    def _not_in_future(self, info: ValidationInfo) -> HouseRulesSheet:
        today = _today(info)
        if self.signed_on is not None and today is not None and self.signed_on > today:
            raise PydanticCustomError("date_future", "La date de signature ne peut pas être dans le futur.")
        return self


MODELS: dict[SheetKind, type[BaseModel]] = {
    SheetKind.FAMILLE: FamilySheet,
    SheetKind.AUTRE_RESPONSABLE: OtherGuardianSheet,
    SheetKind.ASSURANCE: InsuranceSheet,
    SheetKind.AUTORISATIONS: AuthorisationsSheet,
    SheetKind.CONTACTS: ContactsSheet,
    SheetKind.SANITAIRE: HealthSheet,
    SheetKind.REGLEMENT: HouseRulesSheet,
}


def parse(kind: SheetKind, data: dict, today: date | None = None) -> BaseModel:
    """The sheet's data, checked (types and formats, not completeness): pydantic's
    ValidationError on a wrong type, an unknown field or a malformed value. `today` (the date in Paris)
    is given when the family saves: dates such as a birth date or a signature may not be after it."""
    return MODELS[SheetKind(kind)].model_validate(data, context={"today": today})


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
