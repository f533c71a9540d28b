"""The built layers: what each function loads unzipped, and cold start from the built layers.

    .venv/bin/python -m bench.layers      (also run by `make bench`; writes docs/LAYERS.md)

Builds every layer as `cdk synth` does (infra/cdk/layer_build.py: the locked, hashed wheels for
Lambda's platform, bytecode compiled), cached under .build/layers/ by asset hash. A function's
size is what Lambda counts against its 250 MB: the unzipped size of each of its layers plus its
code folder. Cold start: a fresh `python -S` process (no site-packages) whose path is laid out as
Lambda's: the function's folder, its layers merged into one opt/python (later layers over earlier
ones, as Lambda extracts them), then the AWS SDK the runtime provides; the same again with the
layers' bytecode removed, which is what Python would compile on every cold start without it.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.cold_start import ENV
from infra.cdk.layer_build import build_layer, layer_fingerprint, tree_size
from infra.cdk.layer_table import (
    FUNCTION_LAYERS,
    LAMBDA_UNZIPPED_LIMIT_BYTES,
    LAYERS,
    PROVIDED_BY_RUNTIME,
    STOREFRONT_FACING,
    STOREFRONT_FACING_LIMIT_BYTES,
)

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / ".build" / "layers"
DOC = ROOT / "docs" / "LAYERS.md"
MB = 1024 * 1024

_IMPORT_HANDLER = """
import time
t = time.perf_counter()
import handler
print((time.perf_counter() - t) * 1000)
"""


def built_layer(layer: str) -> Path:
    """The layer's python/ folder, built once per asset hash."""
    home = BUILD / f"{layer}-{layer_fingerprint(layer)[:16]}"
    if not (home / ".complete").exists():
        shutil.rmtree(home, ignore_errors=True)
        for old in BUILD.glob(f"{layer}-*"):
            shutil.rmtree(old, ignore_errors=True)
        build_layer(layer, home)
        (home / ".complete").touch()
    return home / "python"


def runtime_sdk() -> Path:
    """What the Lambda Python runtime provides (boto3 and its dependencies), linked from this
    environment into a folder of its own."""
    folder = BUILD / "runtime"
    if folder.exists():
        return folder
    partial = BUILD / f"runtime.{os.getpid()}"
    partial.mkdir(parents=True)
    for name in sorted(PROVIDED_BY_RUNTIME):
        dist = importlib.metadata.distribution(name)
        tops = {
            str(f).split("/")[0] for f in dist.files or [] if not str(f).split("/")[0].endswith(".dist-info")
        }
        for top in tops - {"..", "__pycache__"}:
            source = Path(str(dist.locate_file(top)))
            if source.exists() and not (partial / top).exists():
                (partial / top).symlink_to(source)
    partial.rename(folder)
    return folder


def merged_opt(function: str, *, bytecode: bool = True) -> Path:
    """The function's layers extracted one over the other into one python/ folder (hard links)."""
    suffix = "" if bytecode else "-nopyc"
    key = "-".join(layer_fingerprint(layer)[:8] for layer in FUNCTION_LAYERS[function])
    target = BUILD / "opt" / f"{function}{suffix}-{key}" / "python"
    if target.exists():
        return target
    for old in (BUILD / "opt").glob(f"{function}{suffix}-*"):
        shutil.rmtree(old, ignore_errors=True)
    for layer in FUNCTION_LAYERS[function]:
        source = built_layer(layer)
        for path in source.rglob("*"):
            if path.is_dir() or (not bytecode and path.suffix == ".pyc"):
                continue
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.unlink(missing_ok=True)
            os.link(path, destination)
    return target


def code_dir(function: str) -> Path:
    return ROOT / "functions" / function.split(":")[0]


@dataclass
class FunctionSize:
    function: str
    layers: dict[str, int]
    code: int

    @property
    def total(self) -> int:
        return sum(self.layers.values()) + self.code


def sizes() -> list[FunctionSize]:
    layer_bytes = {layer: tree_size(built_layer(layer)) for layer in LAYERS}
    return [
        FunctionSize(
            function,
            {layer: layer_bytes[layer] for layer in layers},
            tree_size(code_dir(function)),
        )
        for function, layers in sorted(FUNCTION_LAYERS.items())
    ]


def import_ms(function: str, *, bytecode: bool = True) -> float:
    """Import-and-init of the function's handler in one fresh process laid out as Lambda's."""
    path = [code_dir(function), merged_opt(function, bytecode=bytecode), runtime_sdk()]
    env = {
        **os.environ,
        **ENV,
        "POWERTOOLS_SERVICE_NAME": function,
        "PYTHONPATH": os.pathsep.join(str(p) for p in path),
        # Nothing is cached into the build: each run compiles what has no shipped bytecode.
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    out = subprocess.run(
        [sys.executable, "-S", "-c", _IMPORT_HANDLER],
        cwd=code_dir(function),
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


@dataclass
class ColdStart:
    function: str
    with_bytecode_ms: float
    without_bytecode_ms: float
    runs: int


def cold_start(function: str, runs: int) -> ColdStart:
    import_ms(function)  # warm the OS file cache for both alike
    import_ms(function, bytecode=False)
    with_pyc, without = [], []
    for _ in range(runs):  # alternating, so a busy machine slows both alike
        with_pyc.append(import_ms(function))
        without.append(import_ms(function, bytecode=False))
    return ColdStart(function, statistics.median(with_pyc), statistics.median(without), runs)


def _mb(size: int) -> str:
    return f"{size / MB:.1f} MB"


def _kb(size: int) -> str:
    return f"{size / 1024:.0f} KB"


def report(measured: list[FunctionSize], cold: list[ColdStart], load: float) -> str:
    layer_rows = "\n".join(
        f"| {name} | {spec.description} | {_mb(tree_size(built_layer(name)))} |"
        for name, spec in LAYERS.items()
    )
    function_rows = "\n".join(
        f"| {m.function} | {', '.join(m.layers)} | {_mb(sum(m.layers.values()))} | {_kb(m.code)} | "
        f"{_mb(m.total)}{' (storefront-facing)' if m.function in STOREFRONT_FACING else ''} |"
        for m in measured
    )
    cold_rows = "\n".join(
        f"| {c.function} | {c.with_bytecode_ms:.0f} ms | {c.without_bytecode_ms:.0f} ms |" for c in cold
    )
    return "\n\n".join(
        [
            "# Lambda layers",
            "Generated by `make bench` (bench/layers.py) on "
            f"{time.strftime('%Y-%m-%d')}. The layers, and which function loads which, are one table: "
            "infra/cdk/layer_table.py. Each layer is built from layers/requirements/<layer>.txt "
            "(`make lock`: the versions constraints.txt pins, resolved for Lambda's platform, every "
            "wheel's sha256), installed with `pip --require-hashes`, with bytecode compiled by Python "
            "3.11 (unchecked-hash .pyc: /opt is read-only in Lambda, so nothing else would cache it).",
            "## Layers (unzipped)",
            "| layer | ships | unzipped |\n|---|---|---|\n" + layer_rows,
            "## What each function loads (unzipped: its layers plus its code)",
            f"Target: no storefront-facing function over {_mb(STOREFRONT_FACING_LIMIT_BYTES)}; Lambda's "
            f"limit for any function is {_mb(LAMBDA_UNZIPPED_LIMIT_BYTES)}. A distribution two layers "
            "of one function both ship (requests in payments and easypost) is counted in each, "
            "as Lambda counts it.",
            "| function | layers | layers | code | total |\n|---|---|---|---|---|\n" + function_rows,
            f"## Cold start from the built layers (median of {cold[0].runs if cold else 0} fresh processes)",
            "Import and init of the handler, in a process laid out as Lambda's (the function's folder, "
            "its layers merged as Lambda extracts them, the runtime's AWS SDK; no site-packages), with "
            "the layers' bytecode and with it removed. The function's own folder ships no bytecode "
            "(Lambda compiles the handler module at each cold start, a few milliseconds).",
            "| function | with the layers' bytecode | without |\n|---|---|---|\n" + cold_rows,
            f"Measured on {os.cpu_count()} cores with a load average of {load:.1f} when the timing "
            "began (other work on the machine slows both columns alike; compare them with each "
            "other, not with figures taken on a quiet machine).",
        ]
    )


def main() -> None:
    runs = int(os.environ.get("BENCH_LAYER_RUNS", "9"))
    print("Building the layers from their locks (cached in .build/layers)...", flush=True)
    measured = sizes()
    print("Timing cold starts from the built layers...", flush=True)
    load = os.getloadavg()[0]
    cold = [cold_start(function, runs) for function in STOREFRONT_FACING]
    text = report(measured, cold, load)
    print(text)
    DOC.write_text(text + "\n", encoding="utf-8")
    print(f"\nWritten to {DOC.relative_to(ROOT)}")
    over = [
        m.function
        for m in measured
        if m.function in STOREFRONT_FACING and m.total > STOREFRONT_FACING_LIMIT_BYTES
    ]
    if over:
        print(f"bench: storefront-facing functions over the 60 MB target: {over}", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
