"""The layer table (infra/cdk/layer_table.py) against the code and the locks: every third-party
module a function's code can import, lazily or not, ships in one of its layers; the locks pin what
the tests run; the template attaches each function's row; the asset hash follows what ships."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.cdk import layer_build
from infra.cdk.layer_table import (
    BASE,
    FUNCTION_LAYERS,
    LAYERS,
    NOT_SHIPPED,
    PROVIDED_BY_RUNTIME,
    distribution_name,
    function_key,
    layers_for,
)
from tests.infra.conftest import REPO_ROOT, Synthesized

pytestmark = pytest.mark.infra

LIBRARY = REPO_ROOT / "layers" / "core" / "python"
FIRST_PARTY = ("boomerang", "functions")


def _module_file(module: str) -> Path | None:
    parts = module.split(".")
    base = (LIBRARY if parts[0] == "boomerang" else REPO_ROOT).joinpath(*parts)
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.exists():
            return candidate
    return None


def _imports(path: Path, module: str) -> list[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):  # every import, lazy ones inside functions too
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(parts + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found += [target, *(f"{target}.{alias.name}" for alias in node.names)]
    return found


def third_party_imports(entry: str) -> dict[str, str]:
    """Top-level third-party module -> the first-party module importing it, over everything
    reachable from `entry` through first-party imports."""
    seen: set[str] = set()
    third: dict[str, str] = {}
    pending = [entry]
    while pending:
        module = pending.pop()
        if module in seen:
            continue
        seen.add(module)
        path = _module_file(module)
        if path is None:
            continue
        parts = module.split(".")
        pending += [".".join(parts[:i]) for i in range(1, len(parts))]  # parent packages run first
        for imported in _imports(path, module):
            top = imported.split(".")[0]
            if top in FIRST_PARTY:
                pending.append(imported)
            elif top and top not in sys.stdlib_module_names and top != "__future__":
                third.setdefault(top, module)
    return third


def _shipped(layers: tuple[str, ...]) -> set[str]:
    return {wheel.name for layer in layers for wheel in layer_build.read_lock(layer)}


def _handler_modules() -> list[tuple[str, str]]:
    """(FUNCTION_LAYERS key, module) for every handler module under functions/."""
    found = []
    for path in sorted((REPO_ROOT / "functions").glob("*/*.py")):
        if path.name == "__init__.py":
            continue
        key = function_key(path.parent.name, f"{path.stem}.handler")
        found.append((key, f"functions.{path.parent.name}.{path.stem}"))
    return found


@pytest.mark.parametrize(("key", "module"), _handler_modules())
def test_every_import_a_function_can_reach_ships_in_its_layers(key: str, module: str) -> None:
    if module.rpartition(".")[2] != "handler" and key not in FUNCTION_LAYERS:
        pytest.skip("a helper module of the function: reached through its handler")
    providers = importlib.metadata.packages_distributions()
    layers = layers_for(*key.split(":")[:1], f"{module.rpartition('.')[2]}.handler")
    shipped = _shipped(layers) | PROVIDED_BY_RUNTIME
    missing = {
        top: importer
        for top, importer in third_party_imports(module).items()
        if not {distribution_name(d) for d in providers.get(top, [top])} & shipped
    }
    assert missing == {}, f"{key} ({', '.join(layers)}): imported but in none of its layers: {missing}"


def test_every_function_folder_has_a_row() -> None:
    folders = {p.parent.name for p in (REPO_ROOT / "functions").glob("*/handler.py")}
    assert folders == {key.split(":")[0] for key in FUNCTION_LAYERS}


def test_rows_name_known_layers_base_first_and_at_most_five() -> None:
    for key in FUNCTION_LAYERS:
        folder, _, module = key.partition(":")
        layers = layers_for(folder, f"{module or 'handler'}.handler")
        assert set(layers) <= set(LAYERS)
        assert layers[0] == BASE and len(set(layers)) == len(layers)
    with pytest.raises(KeyError, match="no row in FUNCTION_LAYERS"):
        layers_for("a_new_function", "handler.handler")


def _constraints() -> dict[str, str]:
    pins = re.findall(
        r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$", (REPO_ROOT / "constraints.txt").read_text(), re.M
    )
    return {distribution_name(name): version for name, version in pins}


def test_locks_pin_what_the_tests_run() -> None:
    pins = _constraints()
    for layer in LAYERS:
        for wheel in layer_build.read_lock(layer):
            assert pins.get(wheel.name) == wheel.version, f"{layer}: {wheel.name}=={wheel.version}"


def test_locks_leave_out_the_runtime_sdk_build_tools_and_the_base_layer() -> None:
    base = {wheel.name for wheel in layer_build.read_lock(BASE)}
    for layer in LAYERS:
        names = {wheel.name for wheel in layer_build.read_lock(layer)}
        assert names, layer
        assert not names & (PROVIDED_BY_RUNTIME | set(NOT_SHIPPED) | {"pip", "wheel"}), layer
        if layer != BASE:
            assert not names & base, layer
        # Every line of the file is a hashed pin (pip --require-hashes refuses anything else).
        text = layer_build.requirements_file(layer).read_text()
        lines = [line for line in text.splitlines() if line and not line.startswith("#")]
        assert len(lines) == 2 * len(names)


def test_every_runtime_dependency_ships_in_some_layer() -> None:
    import tomllib

    dependencies = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    shipped = _shipped(tuple(LAYERS))
    for dependency in dependencies:
        name = distribution_name(dependency)
        assert name in shipped or name in PROVIDED_BY_RUNTIME, name


def test_the_asset_hash_follows_the_lock_and_the_library(tmp_path: Path, monkeypatch: Any) -> None:
    before = {layer: layer_build.layer_fingerprint(layer) for layer in LAYERS}
    assert len(set(before.values())) == len(LAYERS)
    assert before == {layer: layer_build.layer_fingerprint(layer) for layer in LAYERS}  # stable

    # A dependency of a dependency moves (charset-normalizer under reportlab): labels changes only.
    locks = tmp_path / "requirements"
    locks.mkdir()
    for layer in LAYERS:
        (locks / f"{layer}.txt").write_text(layer_build.requirements_file(layer).read_text())
    labels = locks / "labels.txt"
    labels.write_text(
        re.sub(r"(charset-normalizer==\S+ \\\n\s+--hash=sha256:)\w+", r"\g<1>" + "0" * 64, labels.read_text())
    )
    monkeypatch.setattr(layer_build, "REQUIREMENTS_DIR", locks)
    after = {layer: layer_build.layer_fingerprint(layer) for layer in LAYERS}
    assert [layer for layer in LAYERS if after[layer] != before[layer]] == ["labels"]

    # A library file changes: base changes only.
    library = tmp_path / "boomerang"
    library.mkdir()
    (library / "__init__.py").write_text("")
    monkeypatch.setattr(layer_build, "LIBRARY_DIR", library)
    moved = {layer: layer_build.layer_fingerprint(layer) for layer in LAYERS}
    assert [layer for layer in LAYERS if moved[layer] != after[layer]] == [BASE]


def test_each_function_attaches_its_row(synthesized: Synthesized) -> None:
    layer_ids = {
        r["Properties"]["LayerName"].removeprefix("boomerang-"): key
        for key, r in synthesized.of_type("AWS::Lambda::LayerVersion").items()
    }
    functions = synthesized.of_type("AWS::Lambda::Function")
    checked = 0
    for resource in functions.values():
        code = resource.get("Metadata", {}).get("boomerang:code")
        if code is None:
            continue  # CDK's own helpers (log retention and the like)
        props = resource["Properties"]
        expected = layers_for(Path(code).name, props["Handler"])
        # CDK renders them in its own order; it does not matter, as no two layers ship different
        # files at one path (a distribution two layers ship is the same locked wheel).
        assert sorted(props["Layers"], key=str) == sorted(
            ({"Ref": layer_ids[layer]} for layer in expected), key=str
        ), code
        checked += 1
    assert checked >= len(FUNCTION_LAYERS)


def test_the_layer_asset_is_named_by_its_fingerprint(monkeypatch: Any) -> None:
    from aws_cdk import App, Stack

    from infra.cdk.constructs import function_layers
    from local.template import offline_context

    def asset_key(fingerprint: str) -> str:
        monkeypatch.setattr(function_layers, "layer_fingerprint", lambda _layer: fingerprint)
        stack = Stack(App(context=offline_context()), "Layers")
        code = function_layers.FunctionLayers(stack, "L").layer("easypost").node.find_child("Code")
        return str(code.s3_object_key)  # type: ignore[attr-defined]

    assert asset_key("a" * 64) == asset_key("a" * 64)
    assert asset_key("a" * 64) != asset_key("b" * 64)


def test_what_is_left_out_is_never_imported_by_what_declares_it() -> None:
    for left_out in NOT_SHIPPED:
        modules = {"setuptools": {"setuptools", "pkg_resources", "distutils"}}[left_out]
        declaring = [
            dist
            for dist in importlib.metadata.distributions()
            # A requirement of an extra (babel's `setuptools; extra == 'dev'`) is not installed with it.
            if any(
                distribution_name(req) == left_out and "extra ==" not in req for req in dist.requires or []
            )
            and distribution_name(dist.metadata["Name"]) in _shipped(tuple(LAYERS))
        ]
        assert declaring, left_out
        for dist in declaring:
            for file in dist.files or []:
                if file.suffix != ".py":
                    continue
                tree = ast.parse(Path(str(dist.locate_file(file))).read_text(encoding="utf-8"))
                for node in ast.walk(tree):
                    names = (
                        [a.name for a in node.names]
                        if isinstance(node, ast.Import)
                        else [node.module or ""]
                        if isinstance(node, ast.ImportFrom) and not node.level
                        else []
                    )
                    assert not {n.split(".")[0] for n in names} & modules, f"{file} imports {names}"
