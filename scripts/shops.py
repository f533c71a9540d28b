"""Operator commands for a deployed Boomerang: shops, their storefront API keys and policies.

    python -m scripts.shops --table <TableName output> create-shop acme --name "Acme Store"
    python -m scripts.shops --table ... add-key acme --label "checkout server"
    python -m scripts.shops --table ... revoke-key <the key>
    python -m scripts.shops --table ... put-policy acme my-policy.json
    python -m scripts.shops --table ... connect-shopify acme --domain acme.myshopify.com \
        --category Headphones=electronics < app-secret.txt
    python -m scripts.shops --table ... put-template acme de return.refunded refunded-de.json

Each shop has its own API keys, policy (with its hubs), Shopify domain and app secret, and email
texts: one deployment serves several brands or storefronts.

Runs with the operator's AWS credentials (not the function's). A key is printed once; only its
SHA-256 is stored.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import boto3

from boomerang.auth.api_keys import hash_api_key, new_api_key
from boomerang.domain.policy import load_policy
from boomerang.notify.templates import LANGUAGES, EmailTemplate, catalogue
from boomerang.shopify import APP_SECRET_PREFIX
from boomerang.store import keys
from boomerang.store.dynamo import to_item
from boomerang.store.records import Repository
from boomerang.store.shopify import ShopifyConnection, ShopifyStore
from boomerang.store.templates import TemplateOverrides


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.shops", description=__doc__.split("\n\n")[0])
    parser.add_argument("--table", required=True, help="the stack's TableName output")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-shop", help="create a shop and its first API key")
    create.add_argument("shop")
    create.add_argument("--name", required=True)
    add = commands.add_parser("add-key", help="another API key for a shop (e.g. to rotate)")
    add.add_argument("shop")
    add.add_argument("--label", default="storefront")
    revoke = commands.add_parser("revoke-key", help="revoke an API key")
    revoke.add_argument("key")
    policy = commands.add_parser("put-policy", help="store a new policy version for a shop")
    policy.add_argument("shop")
    policy.add_argument("file", type=Path)
    shopify = commands.add_parser(
        "connect-shopify", help="connect a Shopify store's webhooks to a shop (app secret on stdin)"
    )
    shopify.add_argument("shop")
    shopify.add_argument("--domain", required=True, help="the store's myshopify.com domain")
    shopify.add_argument(
        "--category",
        action="append",
        default=[],
        metavar="PRODUCT_TYPE=CATEGORY",
        help="map a Shopify product type onto a policy category (repeatable)",
    )
    template = commands.add_parser("put-template", help="a shop's own text for one email in one language")
    template.add_argument("shop")
    template.add_argument("language", choices=LANGUAGES)
    template.add_argument("template", help="e.g. return.refunded (see boomerang/notify/templates/en.json)")
    template.add_argument("file", type=Path, help='JSON {"subject": "...", "body": "..."} with $placeholders')
    args = parser.parse_args(argv)

    repo = Repository(args.table, boto3.client("dynamodb"))
    if args.command == "create-shop":
        repo.put_shop(args.shop, args.name)
        key = new_api_key(args.shop)
        repo.put_api_key(hash_api_key(key), args.shop, "first key")
        print(f"shop {args.shop} created; its storefront API key (shown once):\n{key}")
    elif args.command == "add-key":
        key = new_api_key(args.shop)
        repo.put_api_key(hash_api_key(key), args.shop, args.label)
        print(f"new API key for {args.shop} (shown once):\n{key}")
    elif args.command == "revoke-key":
        repo.ddb.delete_item(TableName=args.table, Key=to_item(keys.api_key(hash_api_key(args.key))))
        print("revoked (functions forget it within their 5-minute key cache)")
    elif args.command == "connect-shopify":
        connect_shopify(repo, args.shop, args.domain, args.category, sys.stdin.read().strip())
        print(
            f"{args.domain} now delivers to shop {args.shop}: point its webhooks at <ApiUrl>webhooks/shopify"
        )
    elif args.command == "put-template":
        if args.template not in catalogue("en").templates:
            parser.error(
                f"no template {args.template}; known: {', '.join(sorted(catalogue('en').templates))}"
            )
        text = EmailTemplate.model_validate_json(args.file.read_text(encoding="utf-8"))
        TemplateOverrides(args.table, repo.ddb).put(args.shop, args.language, args.template, text)
        print(f"{args.shop} now sends its own {args.language} {args.template} (live within 5 minutes)")
    else:
        new = load_policy(args.file.read_text(encoding="utf-8"))
        repo.put_policy(args.shop, new)
        print(f"policy {new.policy_id} v{new.version} is now current for {args.shop}")
    return 0


def connect_shopify(repo: Repository, shop: str, domain: str, categories: list[str], app_secret: str) -> None:
    """Store the app secret in Secrets Manager (created or rotated) and route the domain to the shop."""
    if not app_secret:
        raise SystemExit("give the Shopify app's client secret on stdin")
    mapping = {}
    for pair in categories:
        product_type, _, category = pair.partition("=")
        if not product_type or not category:
            raise SystemExit(f"--category wants PRODUCT_TYPE=CATEGORY, not {pair!r}")
        mapping[product_type] = category
    name = f"{APP_SECRET_PREFIX}{shop}"
    manager = boto3.client("secretsmanager")
    try:
        manager.create_secret(Name=name, SecretString=app_secret, Description=f"Shopify app secret of {shop}")
    except manager.exceptions.ResourceExistsException:
        manager.put_secret_value(SecretId=name, SecretString=app_secret)
    ShopifyStore(repo).put_connection(ShopifyConnection(domain.strip().lower(), shop, name, mapping))


if __name__ == "__main__":
    sys.exit(main())
