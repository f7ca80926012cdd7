"""One line of the families' CSV file: its columns read, checked and turned into a line's facts, or the
French reason to reject it (every problem, joined by " ; "). Pure code."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from email_validator import EmailNotValidError, validate_email

from services.auth.domain.families import ImportedChild, ImportedGuardian
from services.auth.domain.passwords import check_rules, is_common

REQUIRED_COLUMNS = ("identifiant", "responsable_nom", "responsable_prenom", "emails", "structure")
OPTIONAL_COLUMNS = (
    "civilite",
    "autre_responsable_nom",
    "autre_responsable_prenom",
    "mot_de_passe_initial",
    "enfant_prenom",
    "enfant_nom",
    "enfant_naissance",
    "enfant_structure",
)
KNOWN_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

IDENTIFIANT_RE = re.compile(r"[A-Za-z0-9._-]{3,64}")
EMAIL_SPLIT_RE = re.compile(r"[|,;\s]+")
DATE_FR_RE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
DATE_ISO_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")

R_TOO_MANY_FIELDS = (
    "la ligne a plus de colonnes que l'en-tête : séparez les adresses courriel par « | » ou « , », "
    "ou mettez le champ entre guillemets")
R_CHILD_INCOMPLETE = "enfant incomplet : prénom, nom et date de naissance sont obligatoires"


def fold(text: str) -> str:
    """Case-, accent- and spacing-insensitive key: "  Mairie  de Saint-Étienne " -> "mairie de saint-etienne"."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def header_key(name: str) -> str:
    """ "Responsable Prénom", "RESPONSABLE-PRENOM", "responsable_prénom" -> "responsable_prenom"."""
    return re.sub(r"[\s\-_]+", "_", fold(name)).strip("_")


def clean(text: str) -> str:
    """Trimmed, internal whitespace collapsed, NFC; case kept as given."""
    return " ".join(unicodedata.normalize("NFC", text).split())


@dataclass
class Row:
    line: int
    values: dict[str, str]
    extra_fields: int  # how many fields beyond the header's columns


@dataclass(frozen=True)
class Line:
    line: int
    identifiant: str
    guardians: tuple[ImportedGuardian, ...]
    emails: tuple[str, ...]
    structure_id: UUID
    initial_password: str | None
    child: ImportedChild | None

    def family_facts(self) -> tuple:
        """What every line of one family must agree on (names compared case-insensitively)."""
        return (
            tuple((g.rank, fold(g.first_name), fold(g.last_name)) for g in self.guardians),
            frozenset(e.casefold() for e in self.emails),
            self.structure_id,
        )


def _parse_date(raw: str) -> date | None:
    if m := DATE_FR_RE.fullmatch(raw):
        day, month, year = (int(g) for g in m.groups())
    elif m := DATE_ISO_RE.fullmatch(raw):
        year, month, day = (int(g) for g in m.groups())
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _parse_emails(raw: str, problems: list[str]) -> tuple[str, ...]:
    emails: list[str] = []
    seen: set[str] = set()
    for address in EMAIL_SPLIT_RE.split(raw.strip()):
        if not address:
            continue
        try:
            normalized = validate_email(address, check_deliverability=False).normalized
        except EmailNotValidError:
            problems.append(f"adresse courriel invalide : « {address} »")
            continue
        if normalized.casefold() not in seen:
            seen.add(normalized.casefold())
            emails.append(normalized)
    if not emails and not problems:
        problems.append("adresse courriel manquante")
    return tuple(emails)


CIVILITIES = {"m": "M.", "m.": "M.", "mr": "M.", "monsieur": "M.", "mme": "Mme", "mme.": "Mme", "madame": "Mme"}


def parse_civility(raw: str) -> str | None | bool:
    """"M." or "Mme", None when empty, False when unknown."""
    key = fold(clean(raw))
    if not key:
        return None
    return CIVILITIES.get(key, False)


def parse_line(row: Row, structures: dict[str, UUID | None], today: date) -> Line | str:
    """The line's data, or the French reason to reject it (every problem, joined by " ; ")."""
    v = {key: row.values.get(key, "") for key in KNOWN_COLUMNS}
    problems: list[str] = []

    identifiant = v["identifiant"].strip()
    if not identifiant:
        problems.append("identifiant manquant")
    elif not IDENTIFIANT_RE.fullmatch(identifiant):
        problems.append(
            f"identifiant invalide : « {identifiant} » (3 à 64 caractères parmi lettres sans accent, "
            "chiffres, « . », « - » et « _ »)")

    last_name, first_name = clean(v["responsable_nom"]), clean(v["responsable_prenom"])
    if not last_name:
        problems.append("nom du responsable manquant")
    if not first_name:
        problems.append("prénom du responsable manquant")
    civility = parse_civility(v["civilite"])
    if civility is False:
        problems.append(f"civilité inconnue : « {clean(v['civilite'])} » (M. ou Mme)")
        civility = None
    guardians = [ImportedGuardian(first_name, last_name, 1, civility)]
    other_last, other_first = clean(v["autre_responsable_nom"]), clean(v["autre_responsable_prenom"])
    if other_last and other_first:
        guardians.append(ImportedGuardian(other_first, other_last, 2))
    elif other_last or other_first:
        problems.append("autre responsable incomplet : nom et prénom sont obligatoires")

    emails = _parse_emails(v["emails"], problems)

    def lookup(raw: str, what: str) -> UUID | None:
        name = clean(raw)
        key = fold(name)
        if key not in structures:
            problems.append(f"{what} inconnue : « {name} »")
            return None
        found = structures[key]
        if found is None:
            problems.append(f"{what} ambiguë : « {name} » (plusieurs structures portent ce nom)")
        return found

    structure_id = None
    if not clean(v["structure"]):
        problems.append("structure manquante")
    else:
        structure_id = lookup(v["structure"], "structure")

    initial_password = v["mot_de_passe_initial"].strip() or None
    if initial_password is not None:
        if not all(check.met for check in check_rules(initial_password)):
            problems.append("mot de passe initial non conforme aux règles")
        elif is_common(initial_password):
            problems.append("mot de passe initial trop courant")

    child = None
    child_first, child_last = clean(v["enfant_prenom"]), clean(v["enfant_nom"])
    birth_raw, child_structure_raw = v["enfant_naissance"].strip(), clean(v["enfant_structure"])
    if child_first or child_last or birth_raw or child_structure_raw:
        if not (child_first and child_last and birth_raw):
            problems.append(R_CHILD_INCOMPLETE)
        else:
            birth_date = _parse_date(birth_raw)
            if birth_date is None:
                problems.append(f"date de naissance invalide : « {birth_raw} »")
            elif birth_date > today:
                problems.append("date de naissance dans le futur")
            child_structure_id = structure_id
            if child_structure_raw:
                child_structure_id = lookup(child_structure_raw, "structure de l'enfant")
            if birth_date is not None and child_structure_id is not None:
                child = ImportedChild(child_first, child_last, birth_date, child_structure_id)

    if problems:
        if row.extra_fields:
            # Fields beyond the header are ignored, but on a bad line they are the likely cause:
            # a ";" inside a field (often between two addresses) shifted the columns.
            problems.insert(0, R_TOO_MANY_FIELDS)
        return " ; ".join(problems)
    assert structure_id is not None
    return Line(row.line, identifiant, tuple(guardians), emails, structure_id, initial_password, child)
