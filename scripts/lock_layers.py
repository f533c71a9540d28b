"""`make lock`, second half: layers/requirements/<layer>.txt, hashed, from constraints.txt.

Resolves each layer of infra/cdk/layer_table.py for Lambda's platform with pip (wheels only, the
versions constraints.txt pins) and writes every wheel's sha256, so the layer build installs with
`--require-hashes` exactly what the tests ran. Needs the package index (PyPI).
"""

from __future__ import annotations

from infra.cdk.layer_build import REPO_ROOT, REQUIREMENTS_DIR, lock_layers


def main() -> None:
    for layer, wheels in lock_layers().items():
        listed = ", ".join(f"{w.name}=={w.version}" for w in wheels)
        print(f"{(REQUIREMENTS_DIR / layer).relative_to(REPO_ROOT)}.txt: {listed}")


if __name__ == "__main__":
    main()
