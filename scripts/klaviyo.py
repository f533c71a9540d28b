"""Switch Klaviyo on or off for a shop.

    python -m scripts.klaviyo --table <table> --shop acme --on      (reads the private API key from stdin)
    python -m scripts.klaviyo --table <table> --shop acme --off

The key (scope events:write) goes to Secrets Manager as boomerang/klaviyo/<shop>; the table keeps
only whether the shop is on and the secret's name.
"""

from __future__ import annotations

import argparse
import sys

import boto3

from boomerang.crm.klaviyo import KlaviyoSettings, SettingsStore

SECRETS_PREFIX = "boomerang/klaviyo/"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Switch Klaviyo on or off for a shop")
    parser.add_argument("--table", required=True)
    parser.add_argument("--shop", required=True)
    switch = parser.add_mutually_exclusive_group(required=True)
    switch.add_argument("--on", action="store_true")
    switch.add_argument("--off", action="store_true")
    args = parser.parse_args(argv)
    store = SettingsStore(args.table, boto3.client("dynamodb"))
    name = f"{SECRETS_PREFIX}{args.shop}"
    if args.on:
        key = sys.stdin.readline().strip()
        if not key:
            parser.error("give the private API key on stdin")
        manager = boto3.client("secretsmanager")
        try:
            manager.put_secret_value(SecretId=name, SecretString=key)
        except manager.exceptions.ResourceNotFoundException:
            manager.create_secret(Name=name, SecretString=key, Description="Klaviyo private API key")
    store.put(args.shop, KlaviyoSettings(enabled=bool(args.on), secret_name=name))
    print(f"Klaviyo {'on' if args.on else 'off'} for {args.shop}")


if __name__ == "__main__":
    main()
