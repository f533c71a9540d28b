"""`boomerang staff invite`: a staff user in the stack's Cognito user pool, with groups and shops.

The shops a user works for are the `custom:shops` attribute, a comma list ("acme,brand-b"), or "*"
for a deployment-wide admin; only an administrator (AdminUpdateUserAttributes) can change it, the
console's app client cannot write it. Cognito emails the user a temporary password.
"""

from __future__ import annotations

import click

from boomerang.auth.staff import ALL_SHOPS, SHOPS_CLAIM, STAFF_GROUPS
from boomerang.cli.common import Settings, pass_settings
from boomerang.services.shops import ShopAdmin

SHOPS_ATTRIBUTE = SHOPS_CLAIM  # what the admin API reads the shops from (boomerang.auth.staff)


@click.group()
def staff() -> None:
    """The merchant's staff: support, warehouse, finance, admin."""


@staff.command("invite")
@click.argument("username")
@click.option("--email", required=True, help="Where Cognito sends the temporary password.")
@click.option(
    "--group", "groups", multiple=True, required=True, type=click.Choice(STAFF_GROUPS), help="Repeatable."
)
@click.option("--shop", "shops", multiple=True, help="A shop the user works for (repeatable).")
@click.option("--all-shops", is_flag=True, help="Every shop of the deployment (a deployment-wide admin).")
@pass_settings
def invite(
    settings: Settings,
    username: str,
    email: str,
    groups: tuple[str, ...],
    shops: tuple[str, ...],
    all_shops: bool,
) -> None:
    """Create a staff user with groups and shops; Cognito emails a temporary password."""
    if "@" in username:
        raise click.BadParameter(
            "a username, not an email (staff sign in with either)", param_hint="USERNAME"
        )
    if bool(shops) == all_shops:
        raise click.UsageError("Give the user's shops (--shop, repeatable) or --all-shops.")
    if shops:
        admin = ShopAdmin(settings.repo())
        unknown = [s for s in shops if not admin.exists(s)]
        if unknown:
            raise click.BadParameter(
                f"no shop {', '.join(unknown)} (boomerang shops list)", param_hint="--shop"
            )
    target = settings.target()
    pool = target.output("UserPoolId")
    idp = target.client("cognito-idp")
    local_password = target.local_staff_password
    extra = {"MessageAction": "SUPPRESS"} if local_password else {"DesiredDeliveryMediums": ["EMAIL"]}
    idp.admin_create_user(
        UserPoolId=pool,
        Username=username,
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
            {"Name": SHOPS_ATTRIBUTE, "Value": ALL_SHOPS if all_shops else ",".join(dict.fromkeys(shops))},
        ],
        **extra,
    )
    for group in dict.fromkeys(groups):
        idp.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName=group)
    scope = "every shop" if all_shops else ", ".join(shops)
    click.echo(f"{username} invited to {', '.join(groups)} for {scope}.")
    if local_password:
        # make local sends no email: the local users share its fixed, local-only password.
        idp.admin_set_user_password(
            UserPoolId=pool, Username=username, Password=local_password, Permanent=True
        )
        click.echo(f"make local: sign in as {username} with the local password {local_password}")
    else:
        click.echo("Cognito has emailed a temporary password, valid 3 days.")
