"""Parse the CSV export of families that staff take from their management software.

One line per child (a family without a child has one line with empty child columns); the
lines of one family share its ``identifiant``. Pure code: bytes in, families and rejected
lines out. Every reason and error message is in French, for the staff who import the file.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from email_validator import EmailNotValidError, validate_email

from services.auth.passwords import check_rules, is_common

MAX_DATA_LINES = 5000

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
SEP_HINT_RE = re.compile(r"sep=(.)\s*", re.IGNORECASE)  # Excel's optional first line, "sep=;"

R_FAMILY_DIFFERS = "informations du responsable différentes des lignes précédentes pour cette famille"
R_PASSWORD_DIFFERS = "mot de passe initial différent des lignes précédentes pour cette famille"
R_DUPLICATE_CHILD = "enfant en double dans le fichier"
R_TOO_MANY_FIELDS = (
    "la ligne a plus de colonnes que l'en-tête : séparez les adresses courriel par « | » ou « , », "
    "ou mettez le champ entre guillemets")
R_CHILD_INCOMPLETE = "enfant incomplet : prénom, nom et date de naissance sont obligatoires"


@dataclass(frozen=True)
class ImportedChild:
    first_name: str
    last_name: str
    birth_date: date
    structure_id: UUID


@dataclass(frozen=True)
class ImportedGuardian:
    first_name: str
    last_name: str
    rank: int  # 1: responsable, 2: autre responsable
    civility: str | None = None  # "M." or "Mme": how mails greet the responsable ("M. DUPONT Jean-Paul")


@dataclass(frozen=True)
class ImportedFamily:
    identifiant: str
    guardians: tuple[ImportedGuardian, ...]
    emails: tuple[str, ...]
    structure_id: UUID
    initial_password: str | None
    children: tuple[ImportedChild, ...]
    lines: tuple[int, ...]  # the file lines this family was built from (header = line 1)


@dataclass(frozen=True)
class RejectedLine:
    line: int
    identifiant: str | None
    reason: str  # French, for staff


@dataclass(frozen=True)
class ParsedImport:
    families: tuple[ImportedFamily, ...]
    rejected: tuple[RejectedLine, ...]


class ImportFileError(ValueError):
    """The whole file is unusable; the message (French) says why."""


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


# ---------------------------------------------------------------------------------------------
# Reading the file


def _decode(data: bytes) -> str:
    if not data.strip():
        raise ImportFileError("Le fichier est vide.")
    if b"\x00" in data:
        raise ImportFileError(
            "Le fichier n'est pas un fichier CSV : un classeur (Excel, LibreOffice) doit d'abord "
            "être enregistré au format CSV (séparateur « ; »).")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise ImportFileError(
            "Le fichier n'est pas lisible : il doit être encodé en UTF-8 ou en Windows-1252.") from None


@dataclass
class _Row:
    line: int
    values: dict[str, str]
    extra_fields: int  # how many fields beyond the header's columns


def _rows(text: str) -> tuple[list[str], list[_Row]]:
    """Header keys and the data rows (blank rows skipped), each with its first file line."""
    lines = text.splitlines(keepends=True)
    first_line = 1
    delimiter: str | None = None
    if lines and (hint := SEP_HINT_RE.fullmatch(lines[0].strip())):
        delimiter = hint.group(1)
        lines = lines[1:]
        first_line = 2
    if not lines or not lines[0].strip():
        raise ImportFileError("La première ligne du fichier doit être la ligne des noms de colonnes.")
    if delimiter is None:
        delimiter = ";" if ";" in lines[0] or "," not in lines[0] else ","

    reader = csv.reader(lines, delimiter=delimiter, quotechar='"', strict=False)
    try:
        header_fields = next(reader)
        header = [header_key(name) for name in header_fields]
        seen: set[str] = set()
        for key in header:
            if key in KNOWN_COLUMNS and key in seen:
                raise ImportFileError(f"La colonne « {key} » apparaît plusieurs fois dans l'en-tête.")
            seen.add(key)
        missing = [col for col in REQUIRED_COLUMNS if col not in seen]
        if missing:
            noun = "colonne obligatoire manquante" if len(missing) == 1 else "colonnes obligatoires manquantes"
            raise ImportFileError(
                f"En-tête du fichier incomplet, {noun} : {', '.join(missing)} "
                f"(séparateur attendu : « ; »).")

        rows: list[_Row] = []
        previous_end = reader.line_num
        for fields in reader:
            start = first_line + previous_end
            previous_end = reader.line_num
            if not any(field.strip() for field in fields):
                continue
            if len(rows) >= MAX_DATA_LINES:
                limit = f"{MAX_DATA_LINES:,}".replace(",", " ")
                raise ImportFileError(
                    f"Le fichier contient plus de {limit} lignes de familles (en-tête non compris) : "
                    "découpez-le en plusieurs fichiers.")
            values = {key: fields[i] if i < len(fields) else "" for i, key in enumerate(header)}
            rows.append(_Row(start, values, max(0, len(fields) - len(header))))
    except csv.Error as exc:
        raise ImportFileError(f"Le fichier n'est pas un fichier CSV valide (ligne {first_line - 1 + reader.line_num}).") from exc
    if not rows:
        raise ImportFileError("Le fichier ne contient aucune famille : seule la ligne d'en-tête est présente.")
    return header, rows


# ---------------------------------------------------------------------------------------------
# One line


@dataclass(frozen=True)
class _Line:
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


def _parse_line(row: _Row, structures: dict[str, UUID | None], today: date) -> _Line | str:
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
    return _Line(row.line, identifiant, tuple(guardians), emails, structure_id, initial_password, child)


# ---------------------------------------------------------------------------------------------
# The file


@dataclass
class _FamilyBuilder:
    first: _Line
    children: list[ImportedChild]
    child_keys: set[tuple[str, str, date]]
    lines: list[int]

    def build(self) -> ImportedFamily:
        f = self.first
        return ImportedFamily(
            identifiant=f.identifiant,
            guardians=f.guardians,
            emails=f.emails,
            structure_id=f.structure_id,
            initial_password=f.initial_password,
            children=tuple(self.children),
            lines=tuple(self.lines),
        )


def _child_key(child: ImportedChild) -> tuple[str, str, date]:
    return (fold(child.first_name), fold(child.last_name), child.birth_date)


def parse_family_csv(data: bytes, structures: Mapping[str, UUID], *, today: date) -> ParsedImport:
    """Families (in the order of their first line) and the rejected lines (in file order).

    ``structures`` maps each structure's name to its id; names in the file are matched
    case-, accent- and spacing-insensitively. Raises :class:`ImportFileError` when the file
    as a whole is unusable.
    """
    by_key: dict[str, UUID | None] = {}
    for name, structure_id in structures.items():
        key = fold(name)
        by_key[key] = structure_id if key not in by_key or by_key[key] == structure_id else None

    _, rows = _rows(_decode(data))

    rejected: list[RejectedLine] = []
    families: dict[str, _FamilyBuilder] = {}
    failed_families: dict[str, str] = {}  # identifiant (folded) -> reason its first line was rejected

    for row in rows:
        raw_identifiant = row.values.get("identifiant", "").strip() or None
        family_key = raw_identifiant.casefold() if raw_identifiant else None
        parsed = _parse_line(row, by_key, today)

        if family_key is not None and family_key in failed_families:
            rejected.append(RejectedLine(row.line, raw_identifiant, f"famille rejetée : {failed_families[family_key]}"))
            continue
        if isinstance(parsed, str):
            rejected.append(RejectedLine(row.line, raw_identifiant, parsed))
            if family_key is not None and family_key not in families:
                failed_families[family_key] = parsed
            continue

        builder = families.get(family_key)
        if builder is None:
            builder = families[family_key] = _FamilyBuilder(parsed, [], set(), [])
        else:
            if parsed.family_facts() != builder.first.family_facts():
                rejected.append(RejectedLine(row.line, raw_identifiant, R_FAMILY_DIFFERS))
                continue
            if parsed.initial_password is not None and parsed.initial_password != builder.first.initial_password:
                rejected.append(RejectedLine(row.line, raw_identifiant, R_PASSWORD_DIFFERS))
                continue
        if parsed.child is not None:
            key = _child_key(parsed.child)
            if key in builder.child_keys:
                rejected.append(RejectedLine(row.line, raw_identifiant, R_DUPLICATE_CHILD))
                continue
            builder.child_keys.add(key)
            builder.children.append(parsed.child)
        builder.lines.append(row.line)

    return ParsedImport(
        families=tuple(builder.build() for builder in families.values()),
        rejected=tuple(sorted(rejected, key=lambda r: r.line)),
    )
