from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from uuid import uuid4

import pytest
from pydantic import ValidationError

from kit.clock import paris_today
from services.dossier.domain.sheets import (
    CHILD_KINDS,
    FAMILY_KINDS,
    HEALTH_KINDS,
    LABELS,
    MODELS,
    ContactsSheet,
    FamilySheet,
    HealthSheet,
    SheetKind,
    is_dt_polio,
    missing_for_submission,
    parse,
)

FULL_FAMILY = {
    "birth_date": "1985-04-12",
    "address": "3 rue des Lilas",
    "postal_code": "69003",
    "city": "Lyon",
    "phone_mobile": "06 12 34 56 78",
    "email": "camille.martin@exemple.fr",
    "allocataire_regime": "CAF",
    "allocataire_number": "1234567",
    "family_quotient": 850,
    "profession": "Infirmière",
    "employer": "Hospices civils",
}

TODAY = date(2027, 2, 4)  # a fixed day: the rules take it as an argument


def test_kinds_and_labels() -> None:
    assert set(MODELS) == set(LABELS) == set(SheetKind)
    assert FAMILY_KINDS | CHILD_KINDS == set(SheetKind)
    assert not FAMILY_KINDS & CHILD_KINDS
    assert HEALTH_KINDS == {SheetKind.SANITAIRE, SheetKind.AUTORISATIONS}
    assert LABELS[SheetKind.REGLEMENT] == "Règlement intérieur"
    assert LABELS[SheetKind.AUTORISATIONS] == "Fiche d'autorisations"


@pytest.mark.parametrize("kind", list(SheetKind))
def test_empty_draft_accepted_and_forbids_extra(kind: SheetKind) -> None:
    parse(kind, {})
    with pytest.raises(ValidationError):
        parse(kind, {"unknown_field": 1})


@pytest.mark.parametrize("kind", list(SheetKind))
def test_every_field_has_french_description(kind: SheetKind) -> None:
    for name, field in MODELS[kind].model_fields.items():
        assert field.description, name


# --------------------------------------------------------------------------- famille


def test_family_full_is_complete() -> None:
    sheet = parse(SheetKind.FAMILLE, FULL_FAMILY)
    assert isinstance(sheet, FamilySheet)
    assert missing_for_submission(SheetKind.FAMILLE, sheet) == []


def test_family_draft_partial_and_missing_exact() -> None:
    sheet = parse(SheetKind.FAMILLE, {"city": "Lyon", "address": "  ", "phone_work": ""})
    assert sheet.address is None and sheet.phone_work is None
    assert missing_for_submission(SheetKind.FAMILLE, sheet) == [
        "Date de naissance",
        "Adresse",
        "Code postal",
        "Au moins un numéro de téléphone",
        "Adresse e-mail",
        "Régime allocataire (CAF, MSA ou autre régime)",
    ]


@pytest.mark.parametrize(("regime", "needs_number"), [("CAF", True), ("MSA", True), ("autre", False)])
def test_family_allocataire_number(regime: str, needs_number: bool) -> None:
    data = {**FULL_FAMILY, "allocataire_regime": regime, "allocataire_number": None}
    missing = missing_for_submission(SheetKind.FAMILLE, parse(SheetKind.FAMILLE, data))
    assert missing == (["Numéro d'allocataire"] if needs_number else [])


def test_family_any_phone_is_enough() -> None:
    data = {**FULL_FAMILY, "phone_mobile": None, "phone_work": "+33 4 72 00 00 00"}
    assert missing_for_submission(SheetKind.FAMILLE, data) == []


@pytest.mark.parametrize(
    "phone",
    ["0612345678", "06 12 34 56 78", "06.12.34.56.78", "06-12-34-56-78", "+33612345678", "+33 6 12 34 56 78"],
)
def test_phone_accepted(phone: str) -> None:
    parse(SheetKind.FAMILLE, {"phone_mobile": phone})


@pytest.mark.parametrize(
    "phone",
    ["06123456", "061234567890", "+3306123456789", "0012345678", "06 12 34 56 7a", "+44 20 7946 0958"],
)
def test_phone_refused_in_french(phone: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse(SheetKind.FAMILLE, {"phone_home": phone})
    assert "Numéro de téléphone invalide" in str(caught.value)


@pytest.mark.parametrize("code", ["75001", "69003", "97400", " 75001 ", "75 001"])
def test_postal_code_accepted(code: str) -> None:
    assert parse(SheetKind.FAMILLE, {"postal_code": code}).postal_code == code.replace(" ", "")


@pytest.mark.parametrize("code", ["7500", "750011", "2A004", "abcde"])
def test_postal_code_refused(code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse(SheetKind.FAMILLE, {"postal_code": code})
    assert "Code postal invalide : 5 chiffres attendus." in str(caught.value)


@pytest.mark.parametrize(
    "data",
    [
        {"postal_code": 69003},
        {"family_quotient": -1},
        {"family_quotient": "beaucoup"},
        {"birth_date": "pas une date"},
        {"birth_date": (TODAY + timedelta(days=1)).isoformat()},
        {"email": "pas-un-mail"},
        {"allocataire_regime": "RSI"},
    ],
)
def test_family_wrong_types_refused(data: dict) -> None:
    with pytest.raises(ValidationError):
        parse(SheetKind.FAMILLE, data, today=TODAY)


def test_email_error_is_french() -> None:
    with pytest.raises(ValidationError) as caught:
        parse(SheetKind.FAMILLE, {"email": "pas-un-mail"})
    assert "Adresse e-mail invalide" in str(caught.value)


# --------------------------------------------------------------------------- autre responsable


def test_other_guardian() -> None:
    child = str(uuid4())
    assert missing_for_submission(SheetKind.AUTRE_RESPONSABLE, parse(SheetKind.AUTRE_RESPONSABLE, {})) == [
        "Nom",
        "Prénom",
        "Au moins un numéro de téléphone",
        "Lien avec au moins un enfant",
    ]
    draft = parse(
        SheetKind.AUTRE_RESPONSABLE,
        {"last_name": "Durand", "first_name": "Paul", "phones": ["", "07 00 00 00 01"], "links": {child: ""}},
    )
    assert draft.phones == ["07 00 00 00 01"]
    assert missing_for_submission(SheetKind.AUTRE_RESPONSABLE, draft) == [
        "Lien de parenté avec l'enfant n° 1"
    ]
    complete = draft.model_copy(update={"links": {child: "Père"}})
    assert missing_for_submission(SheetKind.AUTRE_RESPONSABLE, complete) == []
    with pytest.raises(ValidationError):
        parse(SheetKind.AUTRE_RESPONSABLE, {"phones": ["123"]})


# --------------------------------------------------------------------------- assurance


def test_insurance() -> None:
    kind = SheetKind.ASSURANCE
    assert missing_for_submission(kind, {}) == [
        "Compagnie d'assurance",
        "Numéro de contrat",
        "Date d'échéance",
    ]
    base = {"contract_number": "A-42", "expiry_date": "2026-08-31"}
    assert missing_for_submission(kind, {**base, "company_id": str(uuid4())}) == []
    assert missing_for_submission(kind, {**base, "new_company": {"name": "Mutuelle du Rhône"}}) == []
    assert missing_for_submission(kind, {**base, "new_company": {"address": "Lyon"}}) == [
        "Compagnie d'assurance"
    ]
    with pytest.raises(ValidationError):
        parse(kind, {"company_id": "pas-un-uuid"})
    with pytest.raises(ValidationError):
        parse(kind, {"new_company": {"name": "X", "siret": "1"}})


# --------------------------------------------------------------------------- autorisations


def test_authorisations() -> None:
    kind = SheetKind.AUTORISATIONS
    draft = parse(kind, {"image_rights": False, "hospital_transport": True})
    assert missing_for_submission(kind, draft) == [
        "Droit de publication : oui ou non",
        "Soins médicaux d'urgence : oui ou non",
        "Partir seul après l'activité : oui ou non",
    ]
    answered = {
        "image_rights": False,
        "publication_rights": False,
        "emergency_medical_care": True,
        "hospital_transport": True,
        "leave_alone_after_activity": False,
    }
    assert missing_for_submission(kind, answered) == []
    with pytest.raises(ValidationError):
        parse(kind, {"image_rights": "peut-être"})


# --------------------------------------------------------------------------- contacts


def test_contacts() -> None:
    kind = SheetKind.CONTACTS
    assert missing_for_submission(kind, {}) == []  # a child may have no extra contact
    a, b = str(uuid4()), str(uuid4())
    sheet = parse(
        kind,
        {
            "links": [
                {
                    "contact_id": a,
                    "relationship": "Grand-mère",
                    "may_pick_up": True,
                    "call_in_emergency": True,
                },
                {"contact_id": b, "relationship": " "},
            ]
        },
    )
    assert isinstance(sheet, ContactsSheet)
    assert sheet.links[1].may_pick_up is False
    assert missing_for_submission(kind, sheet) == ["Lien de parenté du contact n° 2"]
    with pytest.raises(ValidationError):
        parse(kind, {"links": [{"contact_id": a}, {"contact_id": a}]})
    with pytest.raises(ValidationError):
        parse(kind, {"links": [{"relationship": "Oncle"}]})


# --------------------------------------------------------------------------- sanitaire


def test_health_draft_and_missing() -> None:
    kind = SheetKind.SANITAIRE
    assert missing_for_submission(kind, {}) == [
        "Vaccins obligatoires : oui ou non",
        "PAI (projet d'accueil individualisé) : oui ou non",
        "Nom du médecin traitant",
    ]
    vaccinated = {"vaccinated": True, "pai": False, "doctor_name": "Dr Morel"}
    assert missing_for_submission(kind, vaccinated) == ["Vaccin DT Polio et date du dernier rappel"]
    no_date = {**vaccinated, "vaccinations": [{"name": "DT Polio"}]}
    assert missing_for_submission(kind, no_date) == ["Vaccin DT Polio et date du dernier rappel"]
    other = {**vaccinated, "vaccinations": [{"name": "ROR", "last_date": "2020-01-01"}]}
    assert missing_for_submission(kind, other) == ["Vaccin DT Polio et date du dernier rappel"]
    ok = {**vaccinated, "vaccinations": [{"name": "DT Polio", "last_date": "2021-05-03"}]}
    assert missing_for_submission(kind, ok) == []
    not_vaccinated = {"vaccinated": False, "contraindication": True, "pai": True, "doctor_name": "Dr Morel"}
    assert missing_for_submission(kind, not_vaccinated) == []


def test_health_types() -> None:
    sheet = parse(SheetKind.SANITAIRE, {"doctor_phone": "04 78 00 00 00", "vaccinations": None})
    assert isinstance(sheet, HealthSheet) and sheet.vaccinations == []
    with pytest.raises(ValidationError):
        parse(SheetKind.SANITAIRE, {"doctor_phone": "12"})
    with pytest.raises(ValidationError):
        parse(SheetKind.SANITAIRE, {"vaccinations": [{"name": "DTP", "last_date": "2999-01-01"}]}, today=TODAY)


@pytest.mark.parametrize("name", ["DT Polio", "dt-polio", "DTP", "DTCaP", "Revaxis (DT Polio)", "Hexavalent"])
def test_dt_polio_names(name: str) -> None:
    assert is_dt_polio(name)


@pytest.mark.parametrize("name", ["ROR", "BCG", "Hépatite B", "", None])
def test_not_dt_polio(name: str | None) -> None:
    assert not is_dt_polio(name)


# --------------------------------------------------------------------------- règlement


def test_house_rules() -> None:
    kind = SheetKind.REGLEMENT
    assert missing_for_submission(kind, {"acknowledged": False}) == [
        "Cochez « J'ai pris connaissance du règlement intérieur et j'ai informé mon enfant de ce règlement »",
        "Nom du signataire",
        "Fait à (lieu de signature)",
        "Date de signature",
        "Heure de signature",
    ]
    signed = parse(
        kind,
        {
            "acknowledged": True,
            "signer_name": "Camille Martin",
            "place": "Lyon",
            "signed_on": TODAY.isoformat(),
            "signed_at": "18:30",
        },
    )
    assert signed.signed_at == time(18, 30)
    assert missing_for_submission(kind, signed) == []
    with pytest.raises(ValidationError):
        parse(kind, {"signed_at": "25:99"})
    with pytest.raises(ValidationError) as caught:
        parse(kind, {"signed_on": (TODAY + timedelta(days=1)).isoformat()}, today=TODAY)
    assert "La date de signature ne peut pas être dans le futur." in str(caught.value)


def test_dates_are_checked_against_the_day_in_paris_when_saved() -> None:
    """At 00:30 in Paris on 1 July the server's UTC date is still 30 June: the parent's signature of
    « today » is accepted; data saved earlier is read back without a clock."""
    kind = SheetKind.REGLEMENT
    just_after_midnight = paris_today(datetime(2027, 6, 30, 22, 30, tzinfo=UTC))
    assert just_after_midnight == date(2027, 7, 1)
    assert parse(kind, {"signed_on": "2027-07-01"}, today=just_after_midnight).signed_on == date(2027, 7, 1)
    with pytest.raises(ValidationError):
        parse(kind, {"signed_on": "2027-07-02"}, today=just_after_midnight)
    with pytest.raises(ValidationError):
        parse(SheetKind.FAMILLE, {"birth_date": "2027-07-02"}, today=just_after_midnight)
    assert parse(kind, {"signed_on": "2099-01-01"}).signed_on == date(2099, 1, 1)  # read back, not checked


def test_missing_checks_the_model_kind() -> None:
    with pytest.raises(TypeError):
        missing_for_submission(SheetKind.SANITAIRE, parse(SheetKind.FAMILLE, {}))
