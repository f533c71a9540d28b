"""The local demo shop as a Shopify store: demo.myshopify.com delivers to the shop `demo`, signed
with a local-only app secret (in moto's Secrets Manager, where `boomerang connect shopify`
would put a real one)."""

from __future__ import annotations

import boto3

from boomerang.shopify import APP_SECRET_PREFIX
from boomerang.store.records import Repository
from boomerang.store.shopify import ShopifyConnection, ShopifyStore
from local.demo.data import DEMO_SHOP

DEMO_SHOPIFY_DOMAIN = "demo.myshopify.com"
# A fixed value so the demo (another process) can sign; it only ever opens the local demo shop.
DEMO_SHOPIFY_SECRET = "shpss_local_only_demo_app_secret_000000"
DEMO_CATEGORIES = {"Headphones": "electronics"}


def seed_shopify(repo: Repository) -> None:
    name = f"{APP_SECRET_PREFIX}{DEMO_SHOP}"
    manager = boto3.client("secretsmanager")
    try:
        manager.create_secret(Name=name, SecretString=DEMO_SHOPIFY_SECRET)
    except manager.exceptions.ResourceExistsException:
        manager.put_secret_value(SecretId=name, SecretString=DEMO_SHOPIFY_SECRET)
    ShopifyStore(repo).put_connection(
        ShopifyConnection(DEMO_SHOPIFY_DOMAIN, DEMO_SHOP, name, DEMO_CATEGORIES)
    )
