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


@cli.command("seed-demo")
def seed_demo_command() -> None:
    """Load the demo customers of the two stories (idempotent: safe on every start)."""
    from devtools.demo import seed_demo

    for line in seed_demo():
        click.echo(line)


if __name__ == "__main__":
    cli()
