"""The `boomerang-core` Lambda layer: the `boomerang` library plus its runtime dependencies.

Built on the host with pip (wheels for Lambda's platform), never in Docker: see `PipLayerBundling`.
"""

from __future__ import annotations

import compileall
import py_compile
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

RUNTIME = lambda_.Runtime.PYTHON_3_11
ARCHITECTURE = lambda_.Architecture.X86_64
# pip's view of RUNTIME and ARCHITECTURE; bump them together.
PIP_PYTHON_VERSION = "3.11"
PIP_PLATFORM = "manylinux2014_x86_64"

LIBRARY_PACKAGE = "boomerang"
# The Lambda Python runtime ships the AWS SDK and its dependencies. The layer leaves them out (they
# arrive through aws-xray-sdk otherwise) so one consistent SDK is loaded and the zip stays ~30 MB lighter.
PROVIDED_BY_RUNTIME = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"}
)
# Never part of the asset: build leftovers of the editable install and local runs.
ASSET_EXCLUDES = ["**/__pycache__", "**/*.pyc", "**/*.egg-info"]


def distribution_name(requirement: str) -> str:
    """`aws-lambda-powertools[tracer]==3.37.0` -> `aws-lambda-powertools` (PEP 503 normalized)."""
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement.strip())
    if not match:
        raise ValueError(f"not a requirement: {requirement!r}")
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def layer_requirements(pyproject: Path) -> list[str]:
    """The library's pinned dependencies from pyproject.toml, minus what the Lambda runtime provides.

    One list serves development and the layer, so both run the same versions.
    """
    dependencies: list[str] = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    return [dep for dep in dependencies if distribution_name(dep) not in PROVIDED_BY_RUNTIME]


@jsii.implements(ILocalBundling)
class PipLayerBundling:
    """Builds the layer directory (`python/...`) on the host: pip downloads manylinux wheels for Lambda,
    so no Docker is needed even for pydantic-core's compiled extension.

    Raises instead of returning False on failure: the Docker fallback is not wanted, and pip's own
    message says more than a Docker error would.
    """

    def __init__(self, source_dir: Path, requirements: Sequence[str]) -> None:
        self.source_dir = source_dir
        self.requirements = list(requirements)

    # jsii hands the options struct over as keywords only to keyword-only parameters; none is needed.
    def try_bundle(self, output_dir: str, *, image: DockerImage, **_options: Any) -> bool:
        site_dir = Path(output_dir) / "python"
        self._pip_install(site_dir)
        remove_distributions(site_dir, PROVIDED_BY_RUNTIME)
        # Console scripts are of no use in a layer and point at this host's interpreter.
        shutil.rmtree(site_dir / "bin", ignore_errors=True)
        shutil.copytree(
            self.source_dir / "python" / LIBRARY_PACKAGE,
            site_dir / LIBRARY_PACKAGE,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        _precompile(site_dir)
        return True

    def _pip_install(self, site_dir: Path) -> None:
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--target",
            str(site_dir),
            "--platform",
            PIP_PLATFORM,
            "--implementation",
            "cp",
            "--python-version",
            PIP_PYTHON_VERSION,
            "--only-binary=:all:",
            "--no-compile",
            "--disable-pip-version-check",
            "--no-input",
            "--quiet",
            *self.requirements,
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise RuntimeError(
                f"building the {LIBRARY_PACKAGE} layer failed: {' '.join(command)}\n"
                f"{result.stdout}{result.stderr}"
            )


def remove_distributions(site_dir: Path, names: frozenset[str]) -> None:
    """Uninstalls distributions from a `pip install --target` directory (pip cannot uninstall there)."""
    for dist_info in site_dir.glob("*.dist-info"):
        metadata = (dist_info / "METADATA").read_text(encoding="utf-8", errors="replace")
        name = re.search(r"^Name: (.+)$", metadata, re.MULTILINE)
        if not name or distribution_name(name.group(1)) not in names:
            continue
        for line in (dist_info / "RECORD").read_text().splitlines():
            path = (site_dir / line.split(",")[0]).resolve()
            if path.is_file() and path.is_relative_to(site_dir.resolve()):
                path.unlink()
        shutil.rmtree(dist_info)
    for directory in sorted((p for p in site_dir.rglob("*") if p.is_dir()), reverse=True):
        if not any(directory.iterdir()):
            directory.rmdir()


def _precompile(site_dir: Path) -> None:
    """/opt is read-only in Lambda, so Python cannot cache bytecode there and would compile every
    imported module on every cold start. Ship the bytecode instead, unchecked-hash: the layer never
    changes once built, and a timestamp-checked .pyc would be rejected wherever zipping and unzipping
    do not keep the sources' modification times."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" != PIP_PYTHON_VERSION:
        return  # bytecode of another Python version would be dead weight
    # Best effort: a module that fails to compile here is compiled at import, as without this step.
    compileall.compile_dir(
        str(site_dir),
        ddir="/opt/python",
        quiet=2,
        workers=0,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )


class CoreLayer(Construct):
    """`layer`: the `boomerang-core` layer version every Boomerang function attaches."""

    def __init__(
        self, scope: Construct, construct_id: str, *, source_dir: Path, requirements: Sequence[str]
    ) -> None:
        super().__init__(scope, construct_id)
        requirements = list(requirements)
        self.layer = lambda_.LayerVersion(
            self,
            "Layer",
            layer_version_name="boomerang-core",
            description=f"{LIBRARY_PACKAGE} library with {', '.join(requirements)}",
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            code=lambda_.Code.from_asset(
                str(source_dir),
                exclude=ASSET_EXCLUDES,
                bundling=BundlingOptions(
                    local=PipLayerBundling(source_dir, requirements),
                    # Required by the API; never run, since PipLayerBundling bundles or raises. The
                    # command records what the layer holds and, being hashed with the sources, makes a
                    # change of pins produce a new asset.
                    image=RUNTIME.bundling_image,
                    command=[
                        "bash",
                        "-c",
                        "pip install --target /asset-output/python "
                        + " ".join(f"'{req}'" for req in requirements)
                        + f" && cp -r /asset-input/python/{LIBRARY_PACKAGE} /asset-output/python/",
                    ],
                ),
            ),
        )
