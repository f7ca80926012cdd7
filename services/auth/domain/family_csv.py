"""Parse the CSV export of families that staff take from their management software.

One line per child (a family without a child has one line with empty child columns); the
lines of one family share its ``identifiant``. Pure code: bytes in, families and rejected
lines out. Every reason and error message is in French, for the staff who import the file.
One line is read by family_csv_line.py; this module reads the file and gathers each family's lines.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from services.auth.domain.families import ImportedChild, ImportedFamily
from services.auth.domain.family_csv_line import (
    KNOWN_COLUMNS,
    REQUIRED_COLUMNS,
    Line,
    Row,
    fold,
    header_key,
    parse_line,
)

MAX_DATA_LINES = 5000
SEP_HINT_RE = re.compile(r"sep=(.)\s*", re.IGNORECASE)  # Excel's optional first line, "sep=;"

R_FAMILY_DIFFERS = "informations du responsable différentes des lignes précédentes pour cette famille"
R_PASSWORD_DIFFERS = "mot de passe initial différent des lignes précédentes pour cette famille"
R_DUPLICATE_CHILD = "enfant en double dans le fichier"


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


def _rows(text: str) -> tuple[list[str], list[Row]]:
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

        rows: list[Row] = []
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
            rows.append(Row(start, values, max(0, len(fields) - len(header))))
    except csv.Error as exc:
        raise ImportFileError(f"Le fichier n'est pas un fichier CSV valide (ligne {first_line - 1 + reader.line_num}).") from exc
    if not rows:
        raise ImportFileError("Le fichier ne contient aucune famille : seule la ligne d'en-tête est présente.")
    return header, rows


@dataclass
class _FamilyBuilder:
    first: Line
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
        parsed = parse_line(row, by_key, today)

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
