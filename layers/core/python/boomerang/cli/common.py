"""What every command shares: the target (resolved once, named on stderr), the library's services
on it, clean error messages instead of tracebacks, secrets read from stdin or a prompt, JSON out."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from boomerang.cli.target import Target, TargetError, find_target
from boomerang.domain.errors import DomainError
from boomerang.store.records import Repository

F = TypeVar("F", bound=Callable[..., Any])


class Settings:
    """The group's options; the target is found on first use, so `--help` needs no AWS."""

    def __init__(self, stack: str | None, local: bool):
        self.stack = stack
        self.local = local
        self._target: Target | None = None

    def target(self) -> Target:
        if self._target is None:
            self._target = find_target(self.stack, self.local)
            click.echo(f"boomerang: {self._target.label}", err=True)
        return self._target

    def repo(self) -> Repository:
        target = self.target()
        return Repository(target.output("TableName"), target.client("dynamodb"))


pass_settings = click.make_pass_decorator(Settings)


class CleanErrors(click.Group):
    """Every refusal is a message and exit status 1: a domain error with the fields it names, an
    unreachable or unknown target, an AWS refusal. Never a traceback (BOOMERANG_DEBUG=1 shows it)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DomainError as exc:
            raise click.ClickException(describe(exc)) from None
        except TargetError as exc:
            raise click.ClickException(str(exc)) from None
        except NoCredentialsError:
            raise click.ClickException(
                "No AWS credentials: set AWS_PROFILE (or sign in with `aws sso login`)."
            ) from None
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise click.ClickException(f"AWS refused: {error.get('Code')}: {error.get('Message')}") from None
        except BotoCoreError as exc:
            raise click.ClickException(f"AWS could not be reached: {exc}") from None


def describe(exc: DomainError) -> str:
    lines = [f"{exc.message} [{exc.code}]"]
    for detail in exc.details:
        where = detail.get("field")
        text = detail.get("message") or ", ".join(f"{k}={v}" for k, v in detail.items() if k != "field")
        if detail.get("message") and detail.get("code"):
            text += f" ({detail['code']})"
        lines.append(f"  - {where}: {text}" if where else f"  - {text}")
    return "\n".join(lines)


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def read_secrets(fields: Sequence[tuple[str, str, bool]]) -> dict[str, str]:
    """Secret values, never from argv: prompted (hidden) on a terminal, else read from stdin as a
    JSON object of the fields, or, where one field is asked for, as that value alone.

    `fields`: (name, label, optional)."""
    stdin = sys.stdin
    if stdin.isatty():
        return {
            name: click.prompt(label, hide_input=True, default="" if optional else None, show_default=False)
            for name, label, optional in fields
        }
    text = stdin.read().strip()
    if not text:
        raise click.ClickException(
            "Nothing on stdin: pipe the secret values in, or run on a terminal to be asked."
        )
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        return parsed
    required = [name for name, _, optional in fields if not optional]
    if len(required) == 1:
        return {required[0]: text}
    names = ", ".join(name for name, _, _ in fields)
    raise click.ClickException(f"Give a JSON object on stdin with {names}.")


def read_file_json(stream: Any, what: str) -> Any:
    try:
        return json.load(stream)
    except ValueError as exc:
        raise click.ClickException(f"{what} is not JSON: {exc}") from None


def is_interactive() -> bool:
    return sys.stdin.isatty()
