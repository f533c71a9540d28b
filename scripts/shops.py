"""Operator commands for a deployed Boomerang: shops, their storefront API keys and policies.

    python -m scripts.shops --table <TableName output> create-shop acme --name "Acme Store"
    python -m scripts.shops --table ... add-key acme --label "checkout server"
    python -m scripts.shops --table ... revoke-key <the key>
    python -m scripts.shops --table ... put-policy acme my-policy.json

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
from boomerang.store import keys
from boomerang.store.dynamo import to_item
from boomerang.store.records import Repository


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
    else:
        new = load_policy(args.file.read_text(encoding="utf-8"))
        repo.put_policy(args.shop, new)
        print(f"policy {new.policy_id} v{new.version} is now current for {args.shop}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
