"""Which Lambda layers exist, what each ships, and which layers each function loads: the one table.

A layer ships a set of distributions (with their dependencies, resolved against constraints.txt and
locked with hashes in layers/requirements/<layer>.txt by `make lock`), minus what the Lambda runtime
already provides and minus the base layer's own distributions, which every function loads. Only the
base layer carries the `boomerang` library.

To give a function another library: add the library to pyproject.toml, then a layer here if no
layer ships it, then the layer to the function's row in FUNCTION_LAYERS, then `make lock`. The
infra tests fail while a function's code can import a third-party module that none of its layers
ships (tests/infra/test_layers.py reads every import, lazy ones included).

Pure Python, no CDK import: the lock script, the layer build, the bench and the tests read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The Lambda runtime the layers are built for. Python 3.11 runs on Amazon Linux 2 (glibc 2.26): only
# manylinux2014 (glibc 2.17) wheels load there, which is why pillow is pinned below 13 (its 13.x wheels
# need glibc 2.27). pyproject.toml, the Makefile and these values are bumped together.
RUNTIME_PYTHON = "3.11"
PIP_PLATFORM = "manylinux2014_x86_64"

# The Lambda Python runtime ships the AWS SDK and its dependencies. Layers leave them out (they
# would arrive through aws-xray-sdk and klaviyo-api otherwise) so one consistent SDK is loaded.
PROVIDED_BY_RUNTIME = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"}
)
# Declared by a shipped distribution but never imported by anything shipped (tests/infra/test_layers.py
# reads every module of the distributions that declare it): left out rather than shipped unpinned.
NOT_SHIPPED = {"setuptools": "klaviyo-api declares it; neither it nor its generated client imports it"}

LIBRARY_PACKAGE = "boomerang"
BASE = "base"


@dataclass(frozen=True)
class LayerSpec:
    description: str
    # Top-level requirements by name; their versions, and their dependencies', come from
    # constraints.txt through the lock.
    packages: tuple[str, ...]
    library: bool = False


LAYERS: dict[str, LayerSpec] = {
    BASE: LayerSpec(
        "the boomerang library, Powertools (with the X-Ray SDK) and pydantic",
        ("aws-lambda-powertools[tracer]", "pydantic"),
        library=True,
    ),
    "labels": LayerSpec("reportlab and pillow: label and invoice PDFs", ("reportlab",)),
    "payments": LayerSpec(
        "the Stripe and PayPal SDKs: refunds, payouts and webhook signatures", ("stripe", "paypal-server-sdk")
    ),
    "easypost": LayerSpec("the EasyPost SDK: labels and tracking webhooks", ("easypost",)),
    "klaviyo": LayerSpec("the Klaviyo SDK: events on customer profiles", ("klaviyo-api",)),
    # Pillow comes with the labels layer (reportlab's), which the upload check loads too.
    "media": LayerSpec("PyAV (FFmpeg): evidence videos probed and their stills cut", ("av",)),
    "web": LayerSpec(
        "Jinja2 and Babel: the customer pages' templates, catalogs and formats", ("jinja2", "babel")
    ),
}

# Function -> the layers it loads, base first (by convention: the order of extraction does not
# matter, as no two layers ship different files at one path; a distribution two layers ship, like
# requests, is the same locked wheel in both). A function is named by its folder under functions/;
# "<folder>:<module>" names one handler module of a folder whose modules need different layers.
# Every function of a folder that shares one handler module (the workflow's steps) loads what that
# module can reach.
FUNCTION_LAYERS: dict[str, tuple[str, ...]] = {
    "storefront_api": (BASE,),
    "tickets_api": (BASE,),
    "system_tickets": (BASE,),
    "outbox_publisher": (BASE,),
    "webhook_admin": (BASE,),
    "webhook_delivery": (BASE,),
    "webhooks_shopify": (BASE, "payments"),  # draft orders paid: the Shopify Admin client (requests)
    # Sandbox labels for shops in test mode (reportlab) and refunds (Stripe) are reachable from these.
    "admin_api": (BASE, "labels", "payments"),
    # The label step buys through EasyPost's SDK (carriers/factory.py); the resolve step refunds.
    "workflow": (BASE, "labels", "payments", "easypost"),
    "webhooks_stripe": (BASE, "labels", "payments"),
    "webhooks_carriers": (BASE, "labels", "easypost", "payments"),
    "evidence_uploaded": (BASE, "labels", "media", "payments"),
    "ses_feedback": (BASE,),
    "fx_rates": (BASE,),
    "shipment_watch": (BASE,),
    "api_docs": (BASE,),
    "klaviyo_events": (BASE, "klaviyo"),
    # The customer pages; labels: the QR code of a return's label (reportlab).
    # The staff console's pay-another-way refunds through the payment providers, as admin_api does.
    "web": (BASE, "labels", "payments", "web"),
    "lake_records": (BASE,),
}

# Functions that answer the storefront (customers' browsers and the merchant's storefront): the
# target is at most 60 MB unzipped each (layers and code), checked by the bench and the real build test.
STOREFRONT_FACING = ("storefront_api", "tickets_api")
STOREFRONT_FACING_LIMIT_BYTES = 60 * 1024 * 1024
# Lambda's own limit: a function and all its layers, unzipped.
LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024
LAMBDA_MAX_LAYERS = 5


def function_key(code_dir_name: str, handler: str) -> str:
    """The FUNCTION_LAYERS key of a function: its folder, or "<folder>:<module>" when that is listed."""
    module = handler.rpartition(".")[0]
    specific = f"{code_dir_name}:{module}"
    return specific if specific in FUNCTION_LAYERS else code_dir_name


def layers_for(code_dir_name: str, handler: str) -> tuple[str, ...]:
    key = function_key(code_dir_name, handler)
    if key not in FUNCTION_LAYERS:
        raise KeyError(
            f"functions/{code_dir_name} ({handler}) has no row in FUNCTION_LAYERS "
            "(infra/cdk/layer_table.py): list the layers it loads"
        )
    names = FUNCTION_LAYERS[key]
    if not names or names[0] != BASE:
        raise ValueError(f"{key}: the base layer comes first")
    if len(names) > LAMBDA_MAX_LAYERS:
        raise ValueError(f"{key}: {len(names)} layers; Lambda attaches at most {LAMBDA_MAX_LAYERS}")
    return names


def distribution_name(requirement: str) -> str:
    """`aws-lambda-powertools[tracer]==3.37.0` -> `aws-lambda-powertools` (PEP 503 normalized)."""
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement.strip())
    if not match:
        raise ValueError(f"not a requirement: {requirement!r}")
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()
