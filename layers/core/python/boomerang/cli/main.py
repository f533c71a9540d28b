"""The `boomerang` command: the merchant's CLI for a deployed stack or `make local` alike.

    boomerang shops create acme --name "Acme Store"
    boomerang policy set acme --window-days 45
    boomerang policy simulate acme --set rules=[] --days 60
    boomerang connect stripe acme < stripe.json
    boomerang staff invite sam --email sam@acme.example --group support --shop acme
    boomerang webhooks list

It finds its target by itself (boomerang/cli/target.py): `--stack NAME` (or BOOMERANG_STACK) for a
deployment, with the environment's AWS profile and region; `--local` for `make local`; neither:
make local if it runs here, else the stack `Boomerang`. The target is named on stderr.
"""

from __future__ import annotations

import click

from boomerang.cli.common import CleanErrors, Settings
from boomerang.cli.connect import connect
from boomerang.cli.policy import policy
from boomerang.cli.shops import keys, shops, templates
from boomerang.cli.staff import staff
from boomerang.cli.webhooks import webhooks


@click.group(cls=CleanErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--stack", envvar="BOOMERANG_STACK", help="The deployed stack's name (default Boomerang).")
@click.option("--local", is_flag=True, help="The running `make local`.")
@click.pass_context
def cli(ctx: click.Context, stack: str | None, local: bool) -> None:
    """Boomerang for merchants: shops, API keys, policies, provider connections, staff, webhooks."""
    ctx.obj = Settings(stack, local)


for group in (shops, keys, policy, connect, staff, webhooks, templates):
    cli.add_command(group)


def main() -> None:
    cli(prog_name="boomerang")
