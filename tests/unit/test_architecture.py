"""The architecture rules of docs/adr/0007 that import-linter does not check (`uv run lint-imports`,
contracts in pyproject.toml): small files, a module docstring saying each module's one job, rule modules
whose every public name production uses, a domain package in every service, and the import contracts
themselves as the ADR writes them."""

from __future__ import annotations

import ast
import tomllib
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 400
# Python files written by a generator, exempt from the size limit (none today: the generated documents,
# contracts/asyncapi.json and services/gateway/openapi.json, are JSON).
GENERATED: frozenset[str] = frozenset()
DOCUMENTED = ("services", "kit", "contracts", "tools")  # every module there says its one job
SERVICES = ("auth", "booking", "dossier", "notify", "billing")
SKIPPED_DIRS = {"tests", "var", "node_modules", "__pycache__"}


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@cache
def source_files() -> tuple[Path, ...]:
    """Every Python file of the repository outside the tests (and outside virtual environments, caches
    and hidden directories)."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if any(p.startswith(".") or p in SKIPPED_DIRS for p in parts[:-1]):
            continue
        found.append(path)
    return tuple(found)


# -- size ---------------------------------------------------------------------------------------------------
def test_no_python_file_is_over_400_lines():
    too_long = {}
    for path in source_files():
        if _relative(path) in GENERATED:
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            too_long[_relative(path)] = lines
    assert not too_long, f"over {MAX_LINES} lines (split them by job): {too_long}"


# -- docstrings ---------------------------------------------------------------------------------------------
def test_every_module_says_its_one_job():
    missing = []
    for path in source_files():
        if path.relative_to(ROOT).parts[0] not in DOCUMENTED:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        doc = ast.get_docstring(tree)
        if not doc or not doc.strip():
            missing.append(_relative(path))
    assert not missing, f"modules without a docstring saying their one job: {missing}"


# -- rule modules: every public name is run by production -------------------------------------------------------
def rule_modules() -> list[Path]:
    modules = sorted(p for p in ROOT.glob("services/*/domain/**/*.py") if "__pycache__" not in p.parts)
    return [*modules, ROOT / "contracts" / "pricing.py"]


def public_names(path: Path) -> list[str]:
    """The names a module defines at its top level (functions, classes, constants) without a leading
    underscore; what it only imports is not its own."""
    names: list[str] = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return [n for n in dict.fromkeys(names) if not n.startswith("_") and n != "__all__"]


@cache
def name_uses(path: Path) -> Counter[str]:
    """The names a file's code reads: names, attributes (`module.rule`) and imported names, f-strings
    included; a definition, an assignment target, a comment, a docstring or `__all__` is not a use."""
    counts: Counter[str] = Counter()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            counts[node.id] += 1
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            counts[node.attr] += 1
        elif isinstance(node, ast.ImportFrom):
            counts.update(alias.name for alias in node.names)
    return counts


def is_reexport_only(path: Path) -> bool:
    """A package `__init__.py` made of imports (and a docstring): re-exporting a name is not using it."""
    if path.name != "__init__.py":
        return False
    body = ast.parse(path.read_text(encoding="utf-8")).body
    return all(isinstance(n, ast.Import | ast.ImportFrom) or
               (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)) or
               (isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets))
               for n in body)


def uses_outside_tests(name: str, defined_in: Path) -> list[str]:
    """The files outside tests/ whose code uses `name` (its own module included: a rule another rule
    of the module calls is run too)."""
    return [_relative(path) for path in source_files()
            if name_uses(path)[name] and (path == defined_in or not is_reexport_only(path))]


def test_every_public_name_of_a_rule_module_is_used_outside_the_tests():
    """A rule the tests check but production does not run is a second rule waiting to diverge (issue 15):
    every public name of `services/*/domain/` and `contracts/pricing.py` is used by code outside tests/
    (make it private, use it, or delete it)."""
    unused = {}
    for module in rule_modules():
        names = [n for n in public_names(module) if not uses_outside_tests(n, module)]
        if names:
            unused[_relative(module)] = names
    assert not unused, f"public names of rule modules used only by the tests (or not at all): {unused}"


def test_the_usage_check_sees_through_strings_and_re_exports(tmp_path):
    """The checker itself: a name written in a docstring, a comment or __all__ is not a use; a call in
    an f-string is."""
    module = tmp_path / "rules.py"
    module.write_text('"""rule: used_rule, unused_rule."""\n__all__ = ["unused_rule"]\nLIMIT = 3\n\n\n'
                      "def used_rule():\n    return 1\n\n\n"
                      'def unused_rule():  # unused_rule\n    return f"{used_rule()}"\n\n\n_private = 2\n',
                      encoding="utf-8")
    assert public_names(module) == ["LIMIT", "used_rule", "unused_rule"]
    uses = name_uses(module)
    assert (uses["unused_rule"], uses["used_rule"], uses["LIMIT"]) == (0, 1, 0)
    package = tmp_path / "__init__.py"
    package.write_text('"""Re-exports."""\nfrom rules import unused_rule\n\n__all__ = ["unused_rule"]\n')
    assert is_reexport_only(package)


# -- layout ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_its_domain_package(service):
    """The rules live in services/<name>/domain/ (the import contract `domain-pure` covers services.*.domain:
    a service without one would escape it silently)."""
    domain = ROOT / "services" / service / "domain"
    assert (domain / "__init__.py").is_file(), f"services/{service}/domain/ is missing"


def test_the_developer_tools_live_apart_from_the_runtime():
    for moved in ("kit/devstack.py", "kit/mailcatcher.py", "contracts/asyncapi.py"):
        assert not (ROOT / moved).exists(), f"{moved} belongs in tools/"
    for tool in ("devstack", "mailcatcher", "asyncapi", "openapi"):
        assert (ROOT / "tools" / f"{tool}.py").is_file()


# -- the import contracts, as the ADR writes them ----------------------------------------------------------------
@pytest.fixture(scope="module")
def importlinter() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]


def _contract(config: dict, contract_id: str) -> dict:
    (found,) = [c for c in config["contracts"] if c["id"] == contract_id]
    return found


def test_import_contracts_are_those_of_the_adr(importlinter):
    assert importlinter["include_external_packages"] is True  # aiohttp and asyncpg can be forbidden
    assert {"services", "kit", "contracts", "tools"} <= set(importlinter["root_packages"])
    independent = _contract(importlinter, "services-independent")
    assert independent["type"] == "independence"
    assert set(independent["modules"]) == {f"services.{s}" for s in (*SERVICES, "gateway")}
    kit = _contract(importlinter, "kit-imports-no-service")
    assert (kit["type"], kit["source_modules"]) == ("forbidden", ["kit"]) and "services" in kit["forbidden_modules"]
    contracts = _contract(importlinter, "contracts-pydantic-only")
    assert contracts["source_modules"] == ["contracts"]
    assert {"kit", "services"} <= set(contracts["forbidden_modules"])
    domain = _contract(importlinter, "domain-pure")
    assert domain["source_modules"] == ["services.*.domain"]
    assert {"aiohttp", "asyncpg", "kit"} <= set(domain["forbidden_modules"])
    for contract in importlinter["contracts"]:
        for weakening in ("ignore_imports", "allow_indirect_imports"):
            assert weakening not in contract, f"{contract['id']}: {weakening} weakens a rule of the ADR"
