"""The published forms of the family dossier: the seven sheets (fields, French labels and descriptions),
the supporting documents each sheet may carry and which ones its data asks for, and the names and labels
of a sheet's states. Read by dossier (which stores and checks the sheets) and by the gateway (which builds
the forms from it). Every field is optional so that a draft can be partial; ``parse`` checks types and
formats on every save. Completeness before transmission and the state changes are dossier's rules
(``services/dossier/domain``), not part of this contract. Imports pydantic and the standard library only."""

from __future__ import annotations

import re
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
    "CHILD_KINDS", "DOCUMENTS_OF", "DOCUMENT_LABELS", "FAMILY_KINDS", "HEALTH_DOCUMENTS", "HEALTH_KINDS",
    "LABELS", "MODELS", "SHEET_OF", "STATE_LABELS", "AuthorisationsSheet", "ContactLink", "ContactsSheet",
    "DocumentKind", "FamilySheet", "HealthSheet", "HouseRulesSheet", "InsuranceSheet", "NewInsurer",
    "OtherGuardianSheet", "SheetKind", "SheetState", "Vaccination", "parse", "required_documents",
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


# --------------------------------------------------------------------------- states (names and labels)


class SheetState(StrEnum):
    """The state of a sheet as dossier answers it; how it changes is dossier's rule (domain/states.py)."""

    TO_FILL = "a_remplir"
    DRAFT = "brouillon"
    SUBMITTED = "transmise"
    APPROVED = "validee"
    REFUSED = "refusee"


STATE_LABELS: dict[SheetState, str] = {
    SheetState.TO_FILL: "À remplir",
    SheetState.DRAFT: "Brouillon",
    SheetState.SUBMITTED: "Transmise, en attente de validation",
    SheetState.APPROVED: "Validée",
    SheetState.REFUSED: "Refusée : à corriger",
}

# --------------------------------------------------------------------------- supporting documents


class DocumentKind(StrEnum):
    JUSTIFICATIF_QF = "justificatif_qf"
    JUGEMENT_DIVORCE = "jugement_divorce"
    ATTESTATION_ASSURANCE = "attestation_assurance"
    CARNET_VACCINATION = "carnet_vaccination"
    CONTRE_INDICATION = "certificat_contre_indication"
    ORDONNANCE = "ordonnance"
    PAI = "pai"


DOCUMENT_LABELS: dict[DocumentKind, str] = {
    DocumentKind.JUSTIFICATIF_QF: (
        "Justificatif de quotient familial CAF ou MSA, ou à défaut dernier avis d'imposition"
    ),
    DocumentKind.JUGEMENT_DIVORCE: "Jugement de divorce",
    DocumentKind.ATTESTATION_ASSURANCE: "Attestation d'assurance",
    DocumentKind.CARNET_VACCINATION: "Copie du carnet de vaccination",
    DocumentKind.CONTRE_INDICATION: "Certificat médical de contre-indication",
    DocumentKind.ORDONNANCE: "Ordonnance",
    DocumentKind.PAI: "Copie du PAI",
}

SHEET_OF: dict[DocumentKind, SheetKind] = {
    DocumentKind.JUSTIFICATIF_QF: SheetKind.FAMILLE,
    DocumentKind.JUGEMENT_DIVORCE: SheetKind.FAMILLE,
    DocumentKind.ATTESTATION_ASSURANCE: SheetKind.ASSURANCE,
    DocumentKind.CARNET_VACCINATION: SheetKind.SANITAIRE,
    DocumentKind.CONTRE_INDICATION: SheetKind.SANITAIRE,
    DocumentKind.ORDONNANCE: SheetKind.SANITAIRE,
    DocumentKind.PAI: SheetKind.SANITAIRE,
}

# The documents a sheet may carry, in the guide's order (for the « pièces à joindre » block).
DOCUMENTS_OF: dict[SheetKind, tuple[DocumentKind, ...]] = {
    kind: tuple(d for d in DocumentKind if SHEET_OF[d] is kind) for kind in SheetKind
}

# Health data: encrypted at rest, every read audited.
HEALTH_DOCUMENTS: frozenset[DocumentKind] = frozenset(
    d for d, sheet in SHEET_OF.items() if sheet is SheetKind.SANITAIRE
)


def required_documents(kind: SheetKind, data: BaseModel) -> list[DocumentKind]:
    """The documents the sheet asks for, given its data (a part of the form: which « pièces à joindre »
    are marked required). The divorce judgement is never required here (only the family knows it
    applies), but may always be attached to the family sheet. While « vaccinés ou non » is not
    answered, neither the vaccination record nor the contra-indication certificate is asked for yet."""
    kind = SheetKind(kind)
    if kind is SheetKind.FAMILLE:
        return [DocumentKind.JUSTIFICATIF_QF]
    if kind is SheetKind.ASSURANCE:
        return [DocumentKind.ATTESTATION_ASSURANCE]
    if kind is SheetKind.SANITAIRE:
        if not isinstance(data, HealthSheet):
            raise TypeError(f"{type(data).__name__} is not the data of a health sheet")
        needed = []
        if data.vaccinated is True:
            needed.append(DocumentKind.CARNET_VACCINATION)
        elif data.vaccinated is False:
            needed.append(DocumentKind.CONTRE_INDICATION)
        if not _blank(data.treatment):
            needed.append(DocumentKind.ORDONNANCE)
        if data.pai is True:
            needed.append(DocumentKind.PAI)
        return needed
    return []
