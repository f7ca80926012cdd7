"""The OpenAPI 3.1 document of the public API, generated from its declarations
(services/gateway/public_api.py), and its readable page. The generator's command (write, or --check
a stale file) is a developer tool: `uv run python -m tools.openapi`.

The document is deterministic (sorted keys, no dates), so a declaration changed without regenerating
shows up as a stale file (tests/unit/test_openapi.py). The gateway serves the committed file at
GET /api/v1/openapi.json and renders it as HTML at GET /api/v1/docs (no script, nothing from elsewhere)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from contracts.api import Problem
from services.gateway import public_api
from services.gateway.public_api import ANONYMOUS, ROUTES, Route

OUTPUT = Path(__file__).resolve().parent / "openapi.json"
REF = "#/components/schemas/{model}"

TITLE = "Portail Famille — API publique"
VERSION = "1.0.0"
DESCRIPTION = """\
L'API JSON du Portail Famille, sous /api/v1 : la même session que les pages du portail.

- **Connexion** : `POST /api/v1/session` avec `identifiant` et `mot_de_passe` pose le cookie de session
  `portail_session` et rend le `csrf_token` du compte.
- **Modifications** : toute requête autre que GET porte l'en-tête `X-CSRF-Token` avec ce jeton.
- **Premiers pas** : tant qu'un compte n'a pas choisi son nouveau mot de passe et accepté la notice RGPD
  et les CGU, seules les routes de ces étapes lui répondent (403 sinon).
- **Qui peut appeler quoi** : chaque route dit les rôles admis (`x-portail-roles` : anonymous, family,
  staff, admin). Les autres reçoivent 401 (non connecté) ou 403 ; un objet d'une autre famille ou d'une
  structure non gérée répond 404 (ou 403 quand la structure est nommée par l'appelant).
- **Erreurs** : un objet « problème » (RFC 9457) en français : `title`, `status`, `detail`.

Seules les routes décrites ici existent : les services internes ne sont pas joignables de l'extérieur.
"""

ROLE_LABELS = {"anonymous": "tout le monde (sans connexion)", "family": "familles", "staff": "personnel",
               "admin": "administrateurs"}
# The refusals every route may answer (the caller's role, the object, the input), as problems.
ERRORS = {
    400: "Requête invalide",
    401: "Connexion requise",
    403: "Accès refusé (rôle, jeton CSRF, étape de première connexion ou structure non gérée)",
    404: "Introuvable (ou appartenant à une autre famille ou structure)",
    409: "Conflit avec l'état actuel",
    413: "Contenu trop volumineux",
    415: "Type de contenu non pris en charge",
    422: "Données invalides",
    429: "Trop de tentatives",
    503: "Service momentanément indisponible",
}
STATUS_TEXT = {200: "Réussite", 201: "Créé", 204: "Fait (pas de contenu)"}


def _models() -> list[tuple[type[BaseModel], str]]:
    wanted: list[tuple[type[BaseModel], str]] = [(Problem, "serialization")]
    for route in ROUTES:
        if route.request:
            wanted.append((route.request, "validation"))
        if route.response:
            wanted.append((route.response, "serialization"))
    seen, unique = set(), []
    for item in wanted:
        if item not in seen:
            seen.add(item)
            unique.append(item)
    return unique


def _not_null(schema: dict) -> dict:
    """A query parameter is absent or has a value: its `null` alternative says nothing."""
    options = schema.get("anyOf")
    if options:
        kept = [o for o in options if o.get("type") != "null"]
        if len(kept) == 1:
            rest = {k: v for k, v in schema.items() if k != "anyOf"}
            return {**kept[0], **rest}
    return schema


def _parameters(route: Route) -> list[dict]:
    params = []
    for name in route.path_params:
        schema: dict[str, Any] = {"type": "string", "pattern": f"^{public_api.PARAM_PATTERN}$"}
        if name.endswith("_id"):
            schema = {"type": "string", "format": "uuid"}
        if name == "kind":
            schema = {"type": "string", "enum": ["rgpd", "cgu"]}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    if route.query:
        schema = route.query.model_json_schema(by_alias=True, ref_template=REF)
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            prop = _not_null(dict(prop))
            description = prop.pop("description", None)
            prop.pop("title", None)
            param = {"name": name, "in": "query", "required": name in required, "schema": prop}
            if description:
                param["description"] = description
            params.append(param)
    for name, description in route.headers:
        params.append({"name": name, "in": "header", "required": False, "description": description,
                       "schema": {"type": "string", "maxLength": 200}})
    return params


def _security(route: Route) -> list[dict]:
    signed = {"session": [], "csrf": []} if route.changes else {"session": []}
    if ANONYMOUS in route.roles:
        return [{}, signed] if len(route.roles) > 1 else [{}]
    return [signed]


def _problem_content() -> dict:
    ref = {"$ref": REF.format(model="Problem")}
    return {"application/problem+json": {"schema": ref}, "application/json": {"schema": ref}}


def _responses(route: Route, names: dict) -> dict:
    responses: dict[str, Any] = {}
    if route.download:
        content = {}
        for media in route.download:
            schema = {"type": "object"} if media == "application/json" else {"type": "string"}
            content[media] = {"schema": schema}
        responses[str(route.status)] = {"description": "Le fichier", "content": content}
    elif route.response is not None:
        responses[str(route.status)] = {"description": STATUS_TEXT.get(route.status, "Réussite"), "content": {
            "application/json": {"schema": {"$ref": REF.format(model=names[(route.response, "serialization")])}}}}
    else:
        responses[str(route.status)] = {"description": STATUS_TEXT.get(route.status, "Réussite")}
    for status, text in ERRORS.items():
        if status == 503 and route.local == "status":
            responses["503"] = {"description": "Un service au moins n'est pas prêt", "content": {
                "application/json": {"schema": {"$ref": REF.format(model=names[(route.response, "serialization")])}}}}
            continue
        if status == 401 and ANONYMOUS in route.roles:
            continue  # everyone may call it: never "sign in first"
        responses[str(status)] = {"description": text, "content": _problem_content()}
    return responses


def _operation(route: Route, names: dict) -> dict:
    who = ", ".join(ROLE_LABELS[r] for r in public_api.ROLES if r in route.roles)
    description = f"**Qui peut l'appeler** : {who}."
    if route.pending:
        description += " Répond aussi avant le nouveau mot de passe et l'acceptation des CGU."
    if route.description:
        description += "\n\n" + route.description
    op: dict[str, Any] = {
        "operationId": route.operation_id, "summary": route.summary, "description": description,
        "tags": [route.tag], "x-portail-roles": list(route.roles), "security": _security(route),
        "responses": _responses(route, names),
    }
    params = _parameters(route)
    if params:
        op["parameters"] = params
    if route.request is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": REF.format(model=names[(route.request, "validation")])}}}}
    elif route.body:
        op["requestBody"] = {"required": True, "content": {route.body: {"schema": {"type": "string"}}}}
    return op


def build() -> dict:
    key_map, defs = models_json_schema(_models(), ref_template=REF)
    names = {key: value["$ref"].rsplit("/", 1)[-1] for key, value in key_map.items()}
    paths: dict[str, dict] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, names)
    tags = sorted({route.tag for route in ROUTES})
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION, "description": DESCRIPTION},
        "tags": [{"name": t} for t in tags],
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "portail_session",
                            "description": "Le cookie posé par POST /api/v1/session."},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token",
                         "description": "Le csrf_token de la session, sur toute modification."},
            },
        },
    }


def render() -> str:
    return json.dumps(build(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


# -- served by the gateway -------------------------------------------------------------------------------------
@cache
def _committed() -> str:
    return OUTPUT.read_text(encoding="utf-8")


async def serve_document(_request: web.Request) -> web.Response:
    return web.Response(text=_committed(), content_type="application/json", charset="utf-8")


def _schema_of(doc: dict, schema: dict | None) -> dict:
    if schema and "$ref" in schema:
        return doc["components"]["schemas"].get(schema["$ref"].rsplit("/", 1)[-1], {})
    return schema or {}


def _type_label(prop: dict) -> str:
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in prop:
        return " ou ".join(_type_label(p) for p in prop["anyOf"])
    if "enum" in prop:
        return " | ".join(str(v) for v in prop["enum"])
    if prop.get("type") == "array":
        return f"liste de {_type_label(prop.get('items', {}))}"
    kind = prop.get("type", "objet")
    return f"{kind} ({prop['format']})" if "format" in prop else str(kind)


def _fields(doc: dict, schema: dict | None) -> list[dict]:
    resolved = _schema_of(doc, schema)
    required = set(resolved.get("required", []))
    return [{"name": name, "type": _type_label(prop), "required": name in required,
             "description": prop.get("description", "")}
            for name, prop in resolved.get("properties", {}).items()]


def _page_routes(doc: dict) -> list[dict]:
    rows = []
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {})
            success = next(iter(op["responses"]))
            answer = op["responses"][success].get("content", {})
            rows.append({
                "method": method.upper(), "path": path, "summary": op["summary"], "tag": op["tags"][0],
                "roles": ", ".join(ROLE_LABELS[r] for r in op["x-portail-roles"]),
                "description": op["description"], "id": op["operationId"],
                "parameters": op.get("parameters", []), "status": success,
                "request": _fields(doc, body.get("application/json", {}).get("schema")),
                "request_media": ", ".join(body), "response_media": ", ".join(answer),
                "response": _fields(doc, answer.get("application/json", {}).get("schema")),
            })
    return sorted(rows, key=lambda r: (r["tag"], r["path"], r["method"]))


async def serve_docs(request: web.Request) -> web.Response:
    from services.gateway.web.render import render as render_page

    doc = json.loads(_committed())
    routes = _page_routes(doc)
    tags = sorted({r["tag"] for r in routes})
    return render_page(request, "api_docs.html", info=doc["info"], routes=routes, tags=tags,
                       schemas=sorted(doc["components"]["schemas"]))
