"""Operator commands: ``python -m chalicelib.cli --help``.

Each command calls the same services the API uses; none re-implements their rules. The
target table comes from the environment (``LOYALTY_TABLE``, ``DYNAMODB_ENDPOINT``,
``AWS_DEFAULT_REGION``), exactly as for the API.
"""
from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import click


@click.group()
def cli() -> None:
    """Loyalty API operator commands."""


@cli.command("create-table")
def create_table_command() -> None:
    """Create the table if it does not exist (local development; deployed stages use infra/)."""
    from .config import settings
    from .store.table import create_table

    created = create_table()
    click.echo(f"table {settings().table_name}: {'created' if created else 'already exists'}")


@cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def import_command(file: Path, as_json: bool) -> None:
    """Import historical orders from a CSV or JSON Lines FILE (see docs/importing.md)."""
    from .api.import_rows import read_import_file
    from .services.importer import import_orders

    total = _count_rows(file)
    with file.open(encoding="utf-8-sig", newline="") as stream:
        rows = read_import_file(stream, file.name, datetime.now(timezone.utc))
        with click.progressbar(length=total, label=f"importing {file.name}", file=sys.stderr,
                               show_pos=True) as bar:
            report = import_orders(rows, progress=bar.update)
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        click.echo(_import_summary(report.to_json()))
    if report.rejected and not report.imported and not report.already_present:
        sys.exit(1)


def _count_rows(file: Path) -> int:
    with file.open(encoding="utf-8-sig") as stream:
        lines = sum(1 for line in stream if line.strip())
    return max(lines - (1 if file.suffix.lower() == ".csv" else 0), 0)


def _import_summary(summary: dict) -> str:
    lines = [
        f"rows read:        {summary['rows']}",
        f"orders imported:  {summary['imported']}",
        f"already present:  {summary['already_present']}",
        f"rejected:         {summary['rejected']}",
        f"customers:        {summary['customers']}",
        f"time:             {summary['seconds']:.1f}s",
    ]
    if summary["rejected_rows"]:
        lines.append("rejected rows:")
        lines += [f"  line {row['line']}: {row['reason']}" for row in summary["rejected_rows"]]
    return "\n".join(lines)


@cli.group("keys")
def keys_group() -> None:
    """Storefront API keys: create, list, revoke, check."""


@keys_group.command("create")
@click.option("--name", required=True, help='What the key is for, e.g. "web shop".')
@click.option("--channel", required=True, help="Sales channel: web-shop, pos, marketplace, ...")
@click.option("--scope", "scopes", multiple=True, required=True,
              type=click.Choice(["quotes", "orders", "customers"]), help="Repeat for several scopes.")
@click.option("--json", "as_json", is_flag=True, help="Print the key as JSON.")
def keys_create(name: str, channel: str, scopes: tuple, as_json: bool) -> None:
    """Create a key. Its secret is printed once and never stored: keep it now."""
    from .services.api_keys import create_key

    key, secret = _operator_call(lambda: create_key(name, channel, list(scopes), created_by=_operator()))
    if as_json:
        click.echo(json.dumps({**key.to_json(), "secret": secret}, indent=2))
    else:
        click.echo(f"{key.key_id} ({key.name}, {key.channel}; scopes {', '.join(key.scopes)})")
        click.echo(f"secret (shown once): {secret}")


@keys_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the keys as JSON.")
def keys_list(as_json: bool) -> None:
    """List keys (never their secrets)."""
    from .services.api_keys import list_keys

    keys = [key.to_json() for key in list_keys()]
    if as_json:
        click.echo(json.dumps(keys, indent=2))
        return
    for key in keys:
        state = f"revoked {key['revoked_at']}" if key["revoked_at"] else "active"
        click.echo(f"{key['key_id']}  {key['channel']:<14} {','.join(key['scopes']):<24} ...{key['last4']}  "
                   f"{state}  {key['name']}")


@keys_group.command("revoke")
@click.argument("key_id")
def keys_revoke(key_id: str) -> None:
    """Revoke a key; API Gateway may keep accepting it for up to 5 minutes (its authorizer cache)."""
    from .services.api_keys import revoke_key

    key = _operator_call(lambda: revoke_key(key_id))
    click.echo(f"{key.key_id} revoked at {key.revoked_at.isoformat()} "
               "(API Gateway may accept it for up to 5 more minutes)")


@keys_group.command("check")
def keys_check() -> None:
    """Read a key from standard input; exit 0 and name it when valid and unrevoked, else exit 1.

    (Standard input, not an argument, so the secret stays out of shell history and ps.)
    """
    from .services.api_keys import verify_key

    key = verify_key(sys.stdin.readline().strip())
    if key is None:
        click.echo("not a valid key", err=True)
        sys.exit(1)
    click.echo(f"{key.key_id} ({key.name}, {key.channel}; scopes {', '.join(key.scopes)})")


def _operator() -> str:
    """Who ran the command, for the key's ``created_by`` (the operating-system user)."""
    import getpass

    return f"local:{getpass.getuser()}"


def _operator_call(work):
    from .domain.errors import LoyaltyError

    try:
        return work()
    except LoyaltyError as error:
        click.echo(f"error: {error.message}", err=True)
        for detail in error.details:
            click.echo(f"  {detail.get('field')}: {detail.get('reason')}", err=True)
        sys.exit(2)


@cli.command("seed-demo")
def seed_demo_command() -> None:
    """Load the demo customers of the two stories (idempotent: safe on every start)."""
    from devtools.demo import seed_demo

    for line in seed_demo():
        click.echo(line)


if __name__ == "__main__":
    cli()
