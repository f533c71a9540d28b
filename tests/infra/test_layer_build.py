"""One layer built for real, as `cdk synth` builds it: the base layer, which every function loads.

Needs the package index (the locked wheels; pip's cache serves them after the first run) and takes
some 20 s. Checks what ships, its bytecode, its size, and that the storefront handler imports from
it in a process laid out as Lambda's, with no site-packages.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.cold_start import ENV
from bench.layers import runtime_sdk
from infra.cdk import layer_build
from infra.cdk.layer_table import (
    BASE,
    LIBRARY_PACKAGE,
    NOT_SHIPPED,
    PROVIDED_BY_RUNTIME,
    STOREFRONT_FACING_LIMIT_BYTES,
    distribution_name,
)
from tests.infra.conftest import REPO_ROOT

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
def base_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return layer_build.build_layer(BASE, tmp_path_factory.mktemp("layer"))


def _shipped_distributions(site: Path) -> dict[str, str]:
    found = {}
    for dist_info in site.glob("*.dist-info"):
        metadata = (dist_info / "METADATA").read_text(encoding="utf-8", errors="replace")
        name = re.search(r"^Name: (.+)$", metadata, re.M)
        version = re.search(r"^Version: (.+)$", metadata, re.M)
        assert name and version
        found[distribution_name(name.group(1))] = version.group(1).strip()
    return found


def test_it_ships_the_locked_versions_and_nothing_else(base_layer: Path) -> None:
    locked = {wheel.name: wheel.version for wheel in layer_build.read_lock(BASE)}
    shipped = _shipped_distributions(base_layer)
    assert shipped == locked
    assert not set(shipped) & (PROVIDED_BY_RUNTIME | set(NOT_SHIPPED))
    assert (base_layer / LIBRARY_PACKAGE / "__init__.py").exists()
    assert not (base_layer / "bin").exists()


def test_every_module_ships_its_bytecode_for_the_runtime(base_layer: Path) -> None:
    tag = sys.implementation.cache_tag  # the build compiles with Python 3.11, as this test runs
    missing = []
    for source in base_layer.rglob("*.py"):
        cached = Path(importlib.util.cache_from_source(str(source)))
        if not cached.exists():
            missing.append(source.relative_to(base_layer).as_posix())
            continue
        assert cached.name.endswith(f".{tag}.pyc")
        flags = int.from_bytes(cached.read_bytes()[4:8], "little")
        # PEP 552: bit 0 = hash-based, bit 1 = check_source; unchecked-hash is 0b01.
        assert flags == 0b01, cached
    assert missing == []
    library_pyc = next((base_layer / LIBRARY_PACKAGE / "__pycache__").glob("__init__.*.pyc"))
    assert b"/opt/python/boomerang/__init__.py" in library_pyc.read_bytes()


def test_the_storefront_imports_from_it_alone_within_its_size(base_layer: Path) -> None:
    code = REPO_ROOT / "functions" / "storefront_api"
    env = {
        **os.environ,
        **ENV,
        "PYTHONPATH": os.pathsep.join(str(p) for p in (code, base_layer, runtime_sdk())),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    probe = (
        "import sys, handler, pydantic, aws_lambda_powertools, boomerang\n"
        "print(boomerang.__file__); print(pydantic.__file__)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'stripe', 'reportlab', 'PIL'}))"
    )
    out = subprocess.run(
        [sys.executable, "-S", "-c", probe], cwd=code, env=env, capture_output=True, text=True, check=True
    )
    library, pydantic, heavy = out.stdout.strip().splitlines()
    assert library.startswith(str(base_layer)) and pydantic.startswith(str(base_layer))
    assert heavy == "[]"
    assert layer_build.tree_size(base_layer) + layer_build.tree_size(code) < STOREFRONT_FACING_LIMIT_BYTES
