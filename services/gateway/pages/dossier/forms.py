"""A sheet's form, generated from its published model (contracts/dossier_sheets.py): how each field is asked
for (text, date, yes/no, choice…, labelled with the field's French description), the form's values from the
stored data, the data from the posted form, and pydantic's refusals said in French."""

from __future__ import annotations

import types
from datetime import date, time
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import ValidationError

from contracts.dossier_sheets import MODELS, SheetKind
from services.gateway.web.forms import yes_no

CHOICE_LABELS = {"autre": "Autre régime"}
# the fields drawn by hand (the rest of each sheet is generated from its model)
SPECIAL_FIELDS = {
    SheetKind.ASSURANCE: {"company_id", "new_company"},
    SheetKind.AUTRE_RESPONSABLE: {"phones", "links"},
    SheetKind.CONTACTS: {"links"},
    SheetKind.SANITAIRE: {"vaccinations"},
    SheetKind.REGLEMENT: {"acknowledged"},
}
PHONE_SLOTS = 3
COMPANY_PARTS = ("name", "address", "phone")

# pydantic's own error types, said in French (custom errors of the sheets are French already)
ERROR_TYPES = {
    "date_from_datetime_parsing": "date invalide (jour/mois/année attendus)",
    "date_parsing": "date invalide (jour/mois/année attendus)",
    "date_type": "date invalide",
    "time_parsing": "heure invalide (heures:minutes attendues)",
    "time_type": "heure invalide",
    "int_parsing": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "int_type": "nombre entier attendu",
    "greater_than_equal": "le nombre doit être positif ou nul",
    "string_too_long": "texte trop long",
    "too_long": "trop d'éléments",
    "literal_error": "choix non proposé",
    "bool_parsing": "répondez par oui ou non",
    "bool_type": "répondez par oui ou non",
    "uuid_parsing": "choix non reconnu",
    "uuid_type": "choix non reconnu",
    "extra_forbidden": "champ inconnu",
    "missing": "information manquante",
}


def _unwrap(annotation) -> tuple[Any, list]:
    """The field's bare type and the metadata of its Annotated layers (Optional removed)."""
    meta: list = []
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            args = get_args(annotation)
            annotation, meta = args[0], meta + list(args[1:])
            continue
        if origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation, meta


def _max_length(meta: list) -> int | None:
    for m in meta:
        for inner in getattr(m, "metadata", None) or [m]:
            if getattr(inner, "max_length", None):
                return inner.max_length
    return None


def input_of(name: str, annotation) -> dict:
    """How a model field is asked for: text, textarea, date, time, number, tel, email, yes/no, select."""
    bare, meta = _unwrap(annotation)
    if get_origin(bare) is Literal:
        return {"input": "select", "choices": [(str(c), CHOICE_LABELS.get(str(c), str(c))) for c in get_args(bare)]}
    simple = {bool: "ouinon", date: "date", time: "time", int: "number"}
    if bare in simple:
        return {"input": simple[bare]}
    if bare is str:
        if "phone" in name:
            return {"input": "tel", "maxlength": 30}
        if "email" in name:
            return {"input": "email", "maxlength": 320}
        if "postal_code" in name:
            return {"input": "text", "inputmode": "numeric", "maxlength": 5}
        longest = _max_length(meta) or 500
        return {"input": "textarea" if longest > 500 else "text", "maxlength": longest}
    return {"input": "text", "maxlength": 500}


def _display(value: Any, input_kind: str) -> str:
    if value is None:
        return ""
    if input_kind == "ouinon":
        return "oui" if value is True else "non" if value is False else ""
    if input_kind == "time" and isinstance(value, str):
        return value[:5]
    return str(value)


def _generic(kind: SheetKind):
    """(name, field info) of the fields drawn from the model."""
    return [(name, info) for name, info in MODELS[kind].model_fields.items()
            if name not in SPECIAL_FIELDS.get(kind, ())]


def generic_fields(kind: SheetKind, values: dict[str, str]) -> list[dict]:
    return [{"name": f"f.{name}", "id": f"champ-{name}", "label": info.description or name,
             **input_of(name, info.annotation), "value": values.get(f"f.{name}", "")}
            for name, info in _generic(kind)]


def values_from_data(kind: SheetKind, data: dict) -> dict[str, str]:
    """The form's values (name → text) from the sheet's stored data."""
    values = {f"f.{name}": _display(data.get(name), input_of(name, info.annotation)["input"])
              for name, info in _generic(kind)}
    if kind == SheetKind.ASSURANCE:
        values["f.company_id"] = data.get("company_id") or ""
        company = data.get("new_company") or {}
        for part in COMPANY_PARTS:
            values[f"f.new_company.{part}"] = company.get(part) or ""
    if kind == SheetKind.AUTRE_RESPONSABLE:
        for i, phone in enumerate((data.get("phones") or [])[:PHONE_SLOTS]):
            values[f"f.phones.{i}"] = phone
        for child_id, relationship in (data.get("links") or {}).items():
            values[f"f.links.{child_id}"] = relationship or ""
    if kind == SheetKind.SANITAIRE:
        for i, v in enumerate(data.get("vaccinations") or []):
            values[f"f.vaccinations.{i}.name"] = v.get("name") or ""
            values[f"f.vaccinations.{i}.last_date"] = v.get("last_date") or ""
    if kind == SheetKind.CONTACTS:
        for i, link in enumerate(data.get("links") or []):
            values[f"f.links.{i}.contact_id"] = str(link.get("contact_id") or "")
            values[f"f.links.{i}.relationship"] = link.get("relationship") or ""
            values[f"f.links.{i}.may_pick_up"] = "oui" if link.get("may_pick_up") else "non"
            values[f"f.links.{i}.call_in_emergency"] = "oui" if link.get("call_in_emergency") else "non"
    if kind == SheetKind.REGLEMENT:
        values["f.acknowledged"] = "oui" if data.get("acknowledged") else ""
    return values


def indexes(form: dict[str, str], prefix: str) -> list[int]:
    """The row numbers posted under `prefix` ("f.vaccinations." → 0, 1, …)."""
    found = set()
    for key in form:
        if key.startswith(prefix):
            head = key[len(prefix):].split(".", 1)[0]
            if head.isdigit() and len(head) < 4:
                found.add(int(head))
    return sorted(found)


def _contact_links(form: dict[str, str]) -> list[dict]:
    links = []
    for i in indexes(form, "f.links."):
        contact_id = form.get(f"f.links.{i}.contact_id", "").strip()
        if contact_id:
            links.append({"contact_id": contact_id, "relationship": form.get(f"f.links.{i}.relationship", ""),
                          "may_pick_up": yes_no(form.get(f"f.links.{i}.may_pick_up")) is True,
                          "call_in_emergency": yes_no(form.get(f"f.links.{i}.call_in_emergency")) is True})
    return links


def data_from_form(kind: SheetKind, form: dict[str, str]) -> dict:
    """The sheet's data from the posted form (blank text is "not answered": the model reads it as None)."""
    data: dict[str, Any] = {}
    for name, info in _generic(kind):
        raw = form.get(f"f.{name}", "")
        data[name] = yes_no(raw) if input_of(name, info.annotation)["input"] == "ouinon" else raw
    if kind == SheetKind.ASSURANCE:
        data["company_id"] = form.get("f.company_id", "")
        company = {part: form.get(f"f.new_company.{part}", "") for part in COMPANY_PARTS}
        data["new_company"] = company if any(v.strip() for v in company.values()) else None
    if kind == SheetKind.AUTRE_RESPONSABLE:
        data["phones"] = [form.get(f"f.phones.{i}", "") for i in range(PHONE_SLOTS)]
        data["links"] = {key[len("f.links."):]: value for key, value in form.items()
                         if key.startswith("f.links.") and value.strip()}
    if kind == SheetKind.SANITAIRE:
        rows = [{"name": form.get(f"f.vaccinations.{i}.name", ""),
                 "last_date": form.get(f"f.vaccinations.{i}.last_date", "")}
                for i in indexes(form, "f.vaccinations.")]
        data["vaccinations"] = [row for row in rows if any(v.strip() for v in row.values())]
    if kind == SheetKind.CONTACTS:
        data["links"] = _contact_links(form)
    if kind == SheetKind.REGLEMENT:
        data["acknowledged"] = True if form.get("f.acknowledged") == "oui" else None
    return data


def french_errors(kind: SheetKind, exc: ValidationError) -> list[str]:
    model = MODELS[kind]
    messages = []
    for error in exc.errors(include_url=False):
        loc = [str(p) for p in error["loc"]]
        label = loc[0] if loc else ""
        if loc and loc[0] in model.model_fields:
            label = model.model_fields[loc[0]].description or loc[0]
            if len(loc) > 1 and loc[1].isdigit():
                label += f" (ligne {int(loc[1]) + 1})"
        text = ERROR_TYPES.get(error["type"], error["msg"])
        messages.append(f"{label} : {text}" if label else text)
    return messages
