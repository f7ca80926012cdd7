"""pydantic's validation errors in French, with the field's name: the one translation every service's
problem answers and the gateway's forms use."""

from __future__ import annotations

from pydantic import ValidationError


def _field(loc) -> str:
    return ".".join(str(p) for p in loc)


def _expected(ctx: dict) -> str:
    return str(ctx.get("expected", "")).replace(" or ", " ou ")


# pydantic error type -> French predicate (after "Le champ « x »" or "Le contenu envoyé")
_MESSAGES: dict[str, str] = {
    "missing": "est obligatoire",
    "extra_forbidden": "n'est pas attendu",
    "unexpected_keyword_argument": "n'est pas attendu",
    "string_type": "doit être un texte",
    "string_too_short": "est trop court ({min_length} caractère(s) au moins)",
    "string_too_long": "est trop long ({max_length} caractères au plus)",
    "string_pattern_mismatch": "n'a pas le format attendu",
    "string_unicode": "doit être un texte",
    "int_type": "doit être un nombre entier",
    "int_parsing": "doit être un nombre entier",
    "int_parsing_size": "est un nombre trop grand",
    "int_from_float": "doit être un nombre entier",
    "float_type": "doit être un nombre",
    "float_parsing": "doit être un nombre",
    "finite_number": "doit être un nombre fini",
    "decimal_type": "doit être un nombre décimal",
    "decimal_parsing": "doit être un nombre décimal",
    "bool_type": "doit valoir vrai ou faux",
    "bool_parsing": "doit valoir vrai ou faux",
    "date_type": "doit être une date (AAAA-MM-JJ)",
    "date_parsing": "doit être une date (AAAA-MM-JJ)",
    "date_from_datetime_parsing": "doit être une date (AAAA-MM-JJ)",
    "date_from_datetime_inexact": "doit être une date sans heure (AAAA-MM-JJ)",
    "date_past": "doit être une date passée",
    "date_future": "doit être une date future",
    "datetime_type": "doit être une date et une heure (AAAA-MM-JJTHH:MM)",
    "datetime_parsing": "doit être une date et une heure (AAAA-MM-JJTHH:MM)",
    "datetime_from_date_parsing": "doit être une date et une heure (AAAA-MM-JJTHH:MM)",
    "datetime_object_invalid": "doit être une date et une heure (AAAA-MM-JJTHH:MM)",
    "timezone_aware": "doit préciser le fuseau horaire",
    "timezone_naive": "ne doit pas préciser de fuseau horaire",
    "time_type": "doit être une heure (HH:MM)",
    "time_parsing": "doit être une heure (HH:MM)",
    "time_delta_type": "doit être une durée",
    "time_delta_parsing": "doit être une durée",
    "uuid_type": "doit être un identifiant (UUID)",
    "uuid_parsing": "doit être un identifiant (UUID)",
    "uuid_version": "doit être un identifiant (UUID)",
    "literal_error": "doit valoir : {expected}",
    "enum": "doit valoir : {expected}",
    "too_short": "doit contenir au moins {min_length} élément(s)",
    "too_long": "contient trop d'éléments ({max_length} au plus)",
    "greater_than": "doit être supérieur à {gt}",
    "greater_than_equal": "doit être supérieur ou égal à {ge}",
    "less_than": "doit être inférieur à {lt}",
    "less_than_equal": "doit être inférieur ou égal à {le}",
    "multiple_of": "doit être un multiple de {multiple_of}",
    "list_type": "doit être une liste",
    "tuple_type": "doit être une liste",
    "set_type": "doit être une liste",
    "dict_type": "doit être un objet",
    "model_type": "doit être un objet",
    "model_attributes_type": "doit être un objet",
    "dataclass_type": "doit être un objet",
    "none_required": "doit être vide",
    "json_invalid": "n'est pas du JSON valide",
    "json_type": "doit être du JSON",
    "url_type": "doit être une adresse web",
    "url_parsing": "doit être une adresse web",
    "url_scheme": "doit être une adresse web",
    "frozen_field": "ne peut pas être modifié",
    "frozen_instance": "ne peut pas être modifié",
    "union_tag_invalid": "n'a pas un type reconnu",
    "union_tag_not_found": "n'a pas de type",
}


def french_message(error: dict) -> str:
    """One pydantic error as a French sentence naming the field."""
    field = _field(error.get("loc", ()))
    subject = f"Le champ « {field} »" if field else "Le contenu envoyé"
    kind, ctx = error.get("type", ""), dict(error.get("ctx") or {})
    if kind in ("value_error", "assertion_error"):
        message = str(error.get("msg", ""))
        if "email" in message.lower():
            return f"{subject} doit être une adresse électronique valable."
        # the project's own validators explain themselves in French ("Value error, ...")
        text = message.split(", ", 1)[1] if ", " in message else ""
        if not text:
            return f"{subject} n'est pas acceptable."
        if not field:  # a rule on the whole content explains itself, in its own words
            return text
        return f"{subject} : {text}"
    template = _MESSAGES.get(kind)
    if template is None:
        return f"{subject} n'est pas acceptable."
    ctx["expected"] = _expected(ctx)
    try:
        predicate = template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        predicate = template.split(" (")[0].split(" {")[0].rstrip(" :")
    return f"{subject} {predicate}."


def french_errors(exc: ValidationError) -> list[dict[str, str]]:
    return [{"champ": _field(e["loc"]), "message": french_message(e)} for e in exc.errors(include_url=False)]


# -- middlewares -----------------------------------------------------------------------------------------
