"""The Lambda layers of infra/cdk/layer_table.py, and which of them each function attaches.

Each layer is built on the host by `LockedLayerBundling` (infra/cdk/layer_build.py: hashed wheels
for Lambda's platform, bytecode compiled), never in Docker. Its asset hash is `layer_fingerprint`:
the lock (every wheel's sha256), the library's files for the base layer, the platform and the build
procedure, so a layer is published again exactly when what it ships changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.cdk.layer_build import REQUIREMENTS_DIR, build_layer, layer_fingerprint, requirements_file
from infra.cdk.layer_table import LAYERS, layers_for

RUNTIME = lambda_.Runtime.PYTHON_3_11
ARCHITECTURE = lambda_.Architecture.X86_64


@jsii.implements(ILocalBundling)
class LockedLayerBundling:
    """Builds one layer into the asset's output folder. Raises instead of returning False on failure:
    the Docker fallback is not wanted, and pip's own message says more than a Docker error would."""

    def __init__(self, layer: str) -> None:
        self.layer = layer

    # jsii hands the options struct over as keywords only to keyword-only parameters; none is needed.
    def try_bundle(self, output_dir: str, *, image: DockerImage, **_options: Any) -> bool:
        build_layer(self.layer, Path(output_dir))
        return True


class FunctionLayers(Construct):
    """One `LayerVersion` per layer some function attaches (made on first use); `for_function`
    answers a function's layers from FUNCTION_LAYERS."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.layers: dict[str, lambda_.LayerVersion] = {}

    def for_function(self, code_dir: Path, handler: str) -> list[lambda_.ILayerVersion]:
        return [self.layer(name) for name in layers_for(code_dir.name, handler)]

    def layer(self, name: str) -> lambda_.LayerVersion:
        if name not in self.layers:
            spec = LAYERS[name]
            self.layers[name] = lambda_.LayerVersion(
                self,
                "".join(part.title() for part in name.split("_")),
                layer_version_name=f"boomerang-{name}",
                description=f"Boomerang {name} layer: {spec.description}",
                compatible_runtimes=[RUNTIME],
                compatible_architectures=[ARCHITECTURE],
                code=lambda_.Code.from_asset(
                    # The asset's source is the layer's lock file alone (what is staged when bundling
                    # is skipped); the build reads the lock and the library from the repository.
                    str(REQUIREMENTS_DIR),
                    exclude=["*", f"!{requirements_file(name).name}"],
                    asset_hash_type=AssetHashType.CUSTOM,
                    asset_hash=layer_fingerprint(name),
                    bundling=BundlingOptions(
                        local=LockedLayerBundling(name),
                        # Required by the API; never run, since LockedLayerBundling bundles or raises.
                        image=RUNTIME.bundling_image,
                        command=["false"],
                    ),
                ),
            )
        return self.layers[name]
