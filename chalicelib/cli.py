"""Operator commands: ``python -m chalicelib.cli --help``.

Each command calls the same services the API uses; none re-implements their rules. The
target (``chalicelib/operator_target.py``): ``--stage dev|prod`` for AWS; else the environment
(``LOYALTY_TABLE``, ``DYNAMODB_ENDPOINT``) when set; else the local stage ``make run`` wrote to
``.data/local-credentials.json``. The first line, on standard error, names it.
"""
from __future__ import annotations

import functools
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import click

from .domain.money import format_money


@click.group()
@click.option("--stage", type=click.Choice(["local", "dev", "prod"]),
              help="dev or prod: that stage in AWS (your AWS credentials). Default: the environment's "
                   "LOYALTY_TABLE/DYNAMODB_ENDPOINT if set, else the local stage `make run` wrote.")
@click.pass_context
def cli(context: click.Context, stage: Optional[str]) -> None:
    """Loyalty API operator commands."""
    context.meta["loyalty.stage"] = stage


def _select_target(stage: Optional[str]):
    """Point the app's settings at the chosen table and say which on standard error."""
    from .config import settings
    from .operator_target import NoTarget, select_target

    try:
        target = select_target(stage)
    except NoTarget as problem:
        click.echo(f"error: {problem}", err=True)
        sys.exit(2)
    settings.cache_clear()
    models = sys.modules.get("chalicelib.store.models")
    if models is not None:  # already imported in this process (tests): point it at the target too
        models.configure(settings().table_name, settings().region, settings().dynamodb_endpoint)
    click.echo(f"loyalty: {target.describe()}", err=True)
    return target


def on_target(command):
    """For commands that use the table: choose and announce the target before they run."""
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        _select_target(click.get_current_context().meta.get("loyalty.stage"))
        return command(*args, **kwargs)

    return wrapper


@cli.command("create-table")
@on_target
def create_table_command() -> None:
    """Create the table if it does not exist (local development; deployed stages use infra/)."""
    from .config import settings
    from .store.table import create_table

    created = create_table()
    click.echo(f"table {settings().table_name}: {'created' if created else 'already exists'}")


class _ImportGroup(click.Group):
    """``import FILE`` imports a file; ``import status ID`` says where an import stands."""

    def parse_args(self, ctx: click.Context, args: list) -> list:
        if args and args[0] not in self.commands and args != ["--help"]:
            args = ["file", *args]
        return super().parse_args(ctx, args)


@cli.group("import", cls=_ImportGroup)
def import_group() -> None:
    """Import historical orders: `import FILE`, or `import status ID` (docs/importing.md)."""


@import_group.command("file")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--workers", type=click.IntRange(1, 32), default=None,
              help="Processes importing chunks at once (default: LOYALTY_IMPORT_PROCESSES or 2; "
                   "one against moto, which is not safe across processes).")
@click.option("--chunk-rows", type=click.IntRange(1), default=None, help="Rows a chunk holds at most (default 5000).")
@on_target
def import_command(file: Path, as_json: bool, workers: Optional[int], chunk_rows: Optional[int]) -> None:
    """Import historical orders from a CSV or JSON Lines FILE (see docs/importing.md).

    The file is planned into chunks and imported by the same chunk worker as an S3 upload, in a
    local pool of processes (docs/scale.md, "Imports"); memory stays flat whatever its size."""
    from . import clock
    from .services import import_fanout

    now = clock.now()
    import_id = f"cli/{file.name}/{now.strftime('%Y%m%dT%H%M%S.%fZ')}"
    limits = import_fanout.ChunkLimits.from_environment()
    if chunk_rows:
        limits = import_fanout.ChunkLimits(chunk_rows, limits.max_bytes)
    processes = _import_processes(workers)
    total = _count_rows(file)
    quiet = _QuietImportLog()  # the chunks' log lines are for Lambda's logs; here the summary says it all
    with quiet, click.progressbar(length=total, label=f"importing {file.name}", file=sys.stderr, show_pos=True) as bar:
        with _chunk_dispatch(processes, bar.update) as dispatch, file.open("rb") as binary:
            from .api.import_rows import describe_import_head

            import_fanout.start_import(import_id, {"kind": "file", "path": str(file.resolve())}, binary.read,
                                       file.name, describe_import_head, dispatch, now=now, limits=limits)
    report = import_fanout.finish_if_complete(import_id) or _finished_report(import_id)
    summary = {name: report[name] for name in ("file_error", "rows", "imported", "already_present", "rejected",
                                               "customers", "seconds", "rejected_rows", "notes", "not_imported")
               if name in report}
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        click.echo(_import_summary(summary))
    if report.get("file_error"):
        click.echo(f"cannot import {file.name}: {report['file_error']}", err=True)
    if report.get("file_error") or report.get("not_imported") or (
            report["rejected"] and not report["imported"] and not report["already_present"]):
        sys.exit(1)


@import_group.command("status")
@click.argument("import_id")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@on_target
def import_status_command(import_id: str, as_json: bool) -> None:
    """Where the import IMPORT_ID stands: chunks done of planned, rows, rejections, failed chunks,
    and where its report is (an S3 upload's id is its key without ``imports/``)."""
    from .services.import_fanout import import_status

    status = import_status(import_id)
    if status is None:
        click.echo(f"no import {import_id}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps(status, indent=2))
        return
    lines = [
        f"import:           {status['import_id']} ({status['state']})",
        f"chunks:           {status['chunks_done']} done of {status['chunks_planned']}"
        + (f", {status['chunks_failed']} failed" if status["chunks_failed"] else ""),
        f"rows read:        {status['rows']} of {status['rows_planned']}",
        f"orders imported:  {status['imported']}",
        f"already present:  {status['already_present']}",
        f"rejected:         {status['rejected']}",
        f"report:           {status['report_location'] or ('printed by the CLI' if status['state'] == 'finished' else 'not yet')}",
    ]
    if status.get("file_error"):
        lines.append(f"file not imported: {status['file_error']}")
    for failed in status["failed_chunks"]:
        lines.append(f"  chunk {failed['chunk']} (lines {failed['lines']}) not imported: {failed['reason']}")
    click.echo("\n".join(lines))


class _QuietImportLog:
    def __enter__(self) -> None:
        import logging

        self._logger = logging.getLogger("loyalty-api.import")
        self._level = self._logger.level
        self._logger.setLevel(logging.WARNING)

    def __exit__(self, *exc) -> None:
        self._logger.setLevel(self._level)


def _import_processes(workers: Optional[int]) -> int:
    from .config import settings

    if settings().backend == "moto":  # moto's tables live in this process: a child would write to its copy
        return 1
    return workers or int(os.environ.get("LOYALTY_IMPORT_PROCESSES", "2"))


def _finished_report(import_id: str) -> dict:
    from .services.import_fanout import merged_report
    from .store.imports import load_status

    return merged_report(load_status(import_id))


class _chunk_dispatch:
    """The chunk messages run by a pool of ``processes`` (spawned, each pointed at this process's
    table), or here when one; ``advance(rows)`` as each chunk is done. A chunk that fails is
    tried again once, then given up on (its lines reported as not imported), as SQS would."""

    def __init__(self, processes: int, advance) -> None:
        self._processes, self._advance, self._pool = processes, advance, None

    def __enter__(self):
        if self._processes > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            from .store.models import TableItem

            meta = TableItem.Meta
            self._pool = ProcessPoolExecutor(self._processes, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_point_process_at, initargs=(meta.table_name, meta.region,
                                                                                      meta.host))
        return self._dispatch

    def _dispatch(self, messages: list) -> None:
        if self._pool is None:
            for message in messages:
                _run_chunk(message)
                self._advance(message["chunk"]["last_line"] - message["chunk"]["first_line"] + 1)
            return
        from concurrent.futures import FIRST_COMPLETED, wait

        pending = {}
        queue = list(reversed(messages))
        while queue or pending:  # at most twice the pool's size submitted: memory stays flat
            while queue and len(pending) < 2 * self._processes:
                message = queue.pop()
                pending[self._pool.submit(_run_chunk, message)] = message
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                message = pending.pop(future)
                future.result()
                self._advance(message["chunk"]["last_line"] - message["chunk"]["first_line"] + 1)

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown()


def _point_process_at(table_name: str, region: str, host: Optional[str]) -> None:
    from .config import settings
    from .store import models

    settings.cache_clear()
    models.configure(table_name, region, host)


def _run_chunk(message: dict) -> None:
    """One chunk in a pool process (module level, so a spawned process can find it)."""
    from .api.import_rows import read_import_chunk
    from .services.import_fanout import run_with_attempts

    run_with_attempts(message, read_import_chunk, attempts=2)


def _count_rows(file: Path) -> int:
    """Lines in the file, less a CSV's header: the progress bar's length (read in chunks, any bytes)."""
    lines, last = 0, b"\n"
    with file.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            lines, last = lines + chunk.count(b"\n"), chunk[-1:]
    lines += last != b"\n"
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
    if summary.get("file_error"):
        lines.append(f"file not imported: {summary['file_error']}")
    for failed in summary.get("not_imported", []):
        lines.append(f"lines {failed['lines']} not imported (chunk {failed['chunk']} failed): {failed['reason']}")
    if summary["rejected_rows"]:
        lines.append("rejected rows:")
        lines += [f"  line {row['line']}: {row['reason']}" for row in summary["rejected_rows"]]
    if summary.get("notes"):
        lines.append("notes:")
        lines += [f"  {note['customer_id']}: {note['note']}" for note in summary["notes"]]
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
@on_target
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
@on_target
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
@click.option("--json", "as_json", is_flag=True, help="Print the revoked key as JSON.")
@on_target
def keys_revoke(key_id: str, as_json: bool) -> None:
    """Revoke a key; API Gateway may keep accepting it for up to 5 minutes (its authorizer cache)."""
    from .services.api_keys import revoke_key

    key = _operator_call(lambda: revoke_key(key_id))
    if as_json:
        click.echo(json.dumps(key.to_json(), indent=2))
        return
    click.echo(f"{key.key_id} revoked at {key.revoked_at.isoformat()} "
               "(API Gateway may accept it for up to 5 more minutes)")


@keys_group.command("check")
@on_target
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


@cli.group("customers")
@click.option("--api", "api_url", help="The API's base URL (default: LOYALTY_API_URL, else the local one make run wrote).")
@click.pass_context
def customers_group(context: click.Context, api_url: Optional[str]) -> None:
    """Support: show, find, adjust, merge and erase customers, through the admin API."""
    from .operator_client import OperatorClient

    if context.obj is None:
        stage = context.meta.get("loyalty.stage")
        if api_url is None and not os.environ.get("LOYALTY_API_URL"):
            if stage in ("dev", "prod"):
                click.echo(f"error: --stage {stage}: pass --api URL or set LOYALTY_API_URL "
                           "(the stage's API Gateway URL)", err=True)
                sys.exit(2)
            api_url = _local_api_url()
        context.obj = OperatorClient.from_environment(api_url)
        click.echo(f"loyalty: API {context.obj.base_url}", err=True)


def _local_api_url() -> str:
    """The local API's URL from the file `make run` wrote."""
    from . import operator_target

    try:
        local = operator_target.read_local_stage(operator_target.LOCAL_CREDENTIALS)
    except operator_target.NoTarget as problem:
        click.echo(f"error: {problem}", err=True)
        sys.exit(2)
    return local["base_url"]


def _admin(context: click.Context, method: str, path: str, body: Optional[dict] = None) -> dict:
    status, answer = context.obj.call(method, path, body)
    if status >= 400:
        error = answer.get("error", {}) if isinstance(answer, dict) else {}
        click.echo(f"error {status}: {error.get('message') or answer}", err=True)
        for detail in error.get("details", []):
            click.echo(f"  {detail.get('field')}: {detail.get('reason')}", err=True)
        sys.exit(2 if status < 500 else 3)
    return answer


@customers_group.command("show")
@click.argument("customer_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def customers_show(context: click.Context, customer_id: str, as_json: bool) -> None:
    """The whole picture of a customer: what support needs without asking them again."""
    view = _admin(context, "GET", f"/v1/admin/customers/{quote_path(customer_id)}")
    click.echo(json.dumps(view, indent=2, ensure_ascii=False) if as_json else _readable_360(view))


@customers_group.command("find")
@click.option("--email")
@click.option("--phone")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def customers_find(context: click.Context, email: Optional[str], phone: Optional[str], as_json: bool) -> None:
    """Find customers by email or phone."""
    from urllib.parse import urlencode

    query = urlencode({key: value for key, value in (("email", email), ("phone", phone)) if value})
    found = _admin(context, "GET", f"/v1/admin/customers?{query}")["customers"]
    if as_json:
        click.echo(json.dumps(found, indent=2, ensure_ascii=False))
        return
    for customer in found:
        lifetime = customer["lifetime"]
        click.echo(f"{customer['customer_id']}  {customer['profile'].get('name') or '-'}  "
                   f"{lifetime['orders']} orders, {format_money(**lifetime['net_spend'])} net")
    if not found:
        click.echo("no customer found")


@customers_group.command("adjust")
@click.argument("customer_id")
@click.option("--goodwill", "amount", type=int, help="Goodwill credit in minor units (1000 = £10.00).")
@click.option("--currency", default="GBP", show_default=True)
@click.option("--tier", help="Set the customer's tier ...")
@click.option("--until", help="... until this time (ISO 8601 with offset).")
@click.option("--note", "text", help="Add a note.")
@click.option("--reason", help="Why (for goodwill and tier changes).")
@click.option("--id", "adjustment_id", help="Idempotency id (default: a new one).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def customers_adjust(context: click.Context, customer_id: str, amount: Optional[int], currency: str,
                     tier: Optional[str], until: Optional[str], text: Optional[str], reason: Optional[str],
                     adjustment_id: Optional[str], as_json: bool) -> None:
    """A goodwill credit, a tier override, or a note; audited under your identity."""
    import uuid

    body: dict = {"adjustment_id": adjustment_id or f"cli-{uuid.uuid4().hex[:12]}"}
    if sum(x is not None for x in (amount, tier, text)) != 1:
        raise click.UsageError("give exactly one of --goodwill, --tier or --note")
    if text is not None and reason is not None:
        raise click.UsageError("--reason goes with --goodwill or --tier; a note is its own text")
    if adjustment_id is None:
        click.echo(f"adjustment id {body['adjustment_id']} (if this times out, run again with --id "
                   f"{body['adjustment_id']}: it will not be applied twice)", err=True)
    if amount is not None:
        body.update(kind="goodwill_credit", amount=amount, currency=currency, reason=reason)
    elif tier is not None:
        body.update(kind="tier_override", tier=tier, until=until, reason=reason)
    else:
        body.update(kind="note", text=text)
    answer = _admin(context, "POST", f"/v1/admin/customers/{quote_path(customer_id)}/adjustments", body)
    click.echo(json.dumps(answer, indent=2, ensure_ascii=False) if as_json
               else f"{answer['adjustment_id']}: {answer['description']} (by {answer['operator']})")


@customers_group.command("credit")
@click.argument("customer_id")
@click.option("--grant", "amount", type=int, help="Grant store credit, in minor units (1000 = £10.00).")
@click.option("--currency", default="GBP", show_default=True)
@click.option("--reason", help="Why (kept for staff; required with --grant).")
@click.option("--expires", help="When the credit expires (ISO 8601 with offset; default: the rules' lifetime).")
@click.option("--no-expiry", is_flag=True, help="The credit never expires.")
@click.option("--id", "adjustment_id", help="Idempotency id (default: a new one).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def customers_credit(context: click.Context, customer_id: str, amount: Optional[int], currency: str,
                     reason: Optional[str], expires: Optional[str], no_expiry: bool, adjustment_id: Optional[str],
                     as_json: bool) -> None:
    """Show a customer's store credit (grants, spends, give-backs, expiries), or grant some with --grant."""
    import uuid

    path = f"/v1/admin/customers/{quote_path(customer_id)}"
    if amount is not None:
        if expires and no_expiry:
            raise click.UsageError("give --expires or --no-expiry, not both")
        body: dict = {"kind": "store_credit", "adjustment_id": adjustment_id or f"cli-{uuid.uuid4().hex[:12]}",
                      "amount": amount, "currency": currency, "reason": reason}
        if expires or no_expiry:
            body["expires_at"] = None if no_expiry else expires
        if adjustment_id is None:
            click.echo(f"adjustment id {body['adjustment_id']} (if this times out, run again with --id "
                       f"{body['adjustment_id']}: it will not be applied twice)", err=True)
        granted = _admin(context, "POST", f"{path}/adjustments", body)
        if not as_json:
            click.echo(f"{granted['adjustment_id']}: {granted['description']} (by {granted['operator']})")
    elif expires or no_expiry or reason:
        raise click.UsageError("--reason, --expires and --no-expiry go with --grant")
    view = _admin(context, "GET", path)["credit"]
    if as_json:
        click.echo(json.dumps(view, indent=2, ensure_ascii=False))
        return
    if amount is not None:
        click.echo(f"balance now {_money(view['balance'])}")
        return
    click.echo(f"balance {_money(view['balance'])}: granted {_money(view['granted'])}, spent {_money(view['spent'])}, "
               f"given back {_money(view['returned'])}, expired {_money(view['expired'])}")
    for grant in view["grants"]:
        until = f"until {grant['expires_at']}" if grant["expires_at"] else "no expiry"
        click.echo(f"  {grant['grant_id']}  {grant['source']}  {_money(grant['amount'])}  left "
                   f"{_money(grant['remaining'])}  {grant['status']}, {until}  by {grant['granted_by']}"
                   + (f": {grant['reason']}" if grant["reason"] else ""))
    for row in view["movements"]:
        about = f" order {row['order_id']}" if row.get("order_id") else ""
        click.echo(f"  {row['at']}  {row['kind']:<8} {_money(row['amount'])}{about}")


def _money(value: dict) -> str:
    from .domain.money import format_money

    return format_money(value["amount"], value["currency"])


@customers_group.command("goodwill")
@click.argument("customer_id")
@click.option("--cost", type=int, required=True, help="The gesture's cost in minor units (1000 = £10.00).")
@click.option("--reason", required=True, help="What happened (kept with the grant).")
@click.option("--grant", is_flag=True, help="Grant it as spendable store credit (a goodwill credit) if the recommendation is approve.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def customers_goodwill(context: click.Context, customer_id: str, cost: int, reason: str, grant: bool,
                       as_json: bool) -> None:
    """Should we make this goodwill gesture? A recommendation from what the customer is likely worth."""
    path = f"/v1/admin/customers/{quote_path(customer_id)}"
    answer = _admin(context, "POST", f"{path}/goodwill", {"cost": cost, "reason": reason})
    granted = None
    if grant and answer["recommendation"] == "approve":
        import uuid

        body = {**answer["grant_with"]["body"], "adjustment_id": f"cli-{uuid.uuid4().hex[:12]}"}
        click.echo(f"adjustment id {body['adjustment_id']}", err=True)
        granted = _admin(context, "POST", f"{path}/adjustments", body)
    if as_json:
        click.echo(json.dumps({**answer, "granted": granted}, indent=2, ensure_ascii=False))
        return
    click.echo(f"{answer['recommendation'].upper()}: {answer['explanation']}")
    if granted:
        click.echo(f"granted: {granted['adjustment_id']} {granted['description']} (by {granted['operator']})")
    elif grant:
        click.echo("not granted: the recommendation is not approve; a supervisor can grant it with "
                   "`customers adjust --goodwill`", err=True)


@customers_group.command("merge")
@click.argument("customer_id")
@click.option("--from", "source", required=True, help="The record whose history moves into CUSTOMER_ID.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def customers_merge(context: click.Context, customer_id: str, source: str, as_json: bool) -> None:
    """Bring another record's history (a guest checkout, an old email) into this customer."""
    answer = _admin(context, "POST", f"/v1/admin/customers/{quote_path(customer_id)}/merge",
                    {"source_customer_id": source})
    click.echo(json.dumps(answer, indent=2) if as_json else
               f"{answer['orders_moved']} order(s) moved from {source} to {customer_id}"
               + (" (the merge had already finished)" if answer.get("already_merged") else ""))


@customers_group.command("erase")
@click.argument("customer_id")
@click.option("--yes", is_flag=True, help="Confirm: this cannot be undone.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def customers_erase(context: click.Context, customer_id: str, yes: bool, as_json: bool) -> None:
    """Erase a customer's personal data (name, email, phone, address lines); figures are kept."""
    if not yes:
        raise click.UsageError("erasure cannot be undone; add --yes to confirm")
    answer = _admin(context, "DELETE", f"/v1/admin/customers/{quote_path(customer_id)}/personal-data")
    click.echo(json.dumps(answer, indent=2) if as_json else
               f"{customer_id}: personal data erased at {answer['erased_at']}"
               + (" (already erased)" if answer.get("already_erased") else ""))


@cli.command("fit-value-model")
@click.option("--segments", default=4, show_default=True, type=click.IntRange(1, 64),
              help="Parallel Scan segments (threads).")
@click.option("--from-export", "export", metavar="PATH|s3://BUCKET/PREFIX",
              help="Read a DynamoDB export (DYNAMODB_JSON) instead of scanning the table: its folder, "
                   "or an S3 prefix holding one export (downloaded first).")
@click.option("--from-summaries", "summaries", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Fit on per-customer summaries (CSV, e.g. Athena's answer to the query in docs/scale.md).")
@click.option("--dry-run", is_flag=True, help="Fit and print; do not store.")
@click.option("--force", is_flag=True, help="Store even if the fit did not converge or saw few customers.")
@click.option("--json", "as_json", is_flag=True)
@on_target
def fit_value_model_command(segments: int, export: Optional[str], summaries: Optional[Path], dry_run: bool,
                            force: bool, as_json: bool) -> None:
    """Fit the customer-value model on every customer's purchase days and store the parameters,
    with the fit date and sample size, as a new rules version.

    The purchase days come from a parallel Scan of the table, or, with --from-export, from a
    DynamoDB export (no table reads; docs/scale.md), or --from-summaries. Needs the batch
    extra: pip install -r requirements-batch.txt."""
    if export and summaries:
        click.echo("error: give --from-export or --from-summaries, not both", err=True)
        sys.exit(2)
    try:
        import scipy  # noqa: F401
        if export:
            import duckdb  # noqa: F401
    except ImportError:
        click.echo("fit-value-model needs numpy, scipy (and duckdb for --from-export): "
                   "pip install -r requirements-batch.txt", err=True)
        sys.exit(2)
    from .services.value_fit import fit_and_store, fit_and_store_from_export, fit_and_store_from_summaries

    options = {"dry_run": dry_run, "force": force, "operator": _operator()}
    if export or summaries:
        result = _export_call(lambda: fit_and_store_from_export(export, **options) if export
                              else fit_and_store_from_summaries(summaries, **options))
    else:
        from .store.customers import approximate_item_count

        # Progress on stderr, per Scan page: items read of the table's (approximate) item count.
        with click.progressbar(label="scanning the table", file=sys.stderr, length=approximate_item_count() or 0,
                               show_pos=True, show_percent=True) as bar:
            result = _operator_call(lambda: fit_and_store(segments=segments, progress=bar.update, **options))
    scan, read = result.get("scan") or {}, result.get("export") or {}
    if scan:
        click.echo(f"scanned {scan['items_scanned']} items ({scan['purchase_days']} purchase days) in "
                   f"{scan['seconds']:.1f} s, {scan['items_per_second']} items/s, {scan['segments']} segments",
                   err=True)
    if read:
        click.echo(f"read export {read['export_arn']} ({read['items']} items in {read['data_files']} files, "
                   f"taken {read['export_time']}) in {read['seconds']:.1f} s; ages to {read['as_of']}", err=True)
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        model = result.get("model") or {}
        bgnbd, spend = model.get("bgnbd", {}), model.get("gamma_gamma", {})
        click.echo(f"customers with purchases: {result['customers']}")
        if model:
            click.echo(f"BG/NBD r={bgnbd['r']} alpha={bgnbd['alpha']} a={bgnbd['a']} b={bgnbd['b']} "
                       f"(log-likelihood {bgnbd['log_likelihood']})")
            click.echo(f"Gamma-Gamma p={spend['p']} q={spend['q']} gamma={spend['gamma']} "
                       f"({spend['sample_size']} customers with repeat purchases)")
        click.echo(f"stored as rules version {result['rules_version']}" if result["stored"]
                   else f"not stored: {result['reason']}")
    if not result["stored"] and not dry_run:
        sys.exit(1)


def _export_call(work):
    """Work on an export or a summaries file: a file that cannot be read is an error message
    naming it, never a traceback."""
    from batch.dynamodb_export import ExportProblem

    try:
        return _operator_call(work)
    except ExportProblem as problem:
        click.echo(f"error: {problem}", err=True)
        sys.exit(2)


@cli.command("export-table")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--segments", default=4, show_default=True, type=click.IntRange(1, 64),
              help="Parallel Scan segments (threads), one data file each.")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest summary as JSON.")
@on_target
def export_table_command(out_dir: Path, segments: int, as_json: bool) -> None:
    """Write the table under OUT_DIR in the format of DynamoDB's export to S3
    (AWSDynamoDB/<exportId>/manifest-summary.json, manifest-files.json, data/*.json.gz), for
    batch jobs that read exports (fit-value-model --from-export). A Scan: on AWS, use
    `aws dynamodb export-table-to-point-in-time` instead (docs/scale.md)."""
    from .services.table_export import export_table
    from .store.customers import approximate_item_count

    with click.progressbar(label="exporting the table", file=sys.stderr, length=approximate_item_count() or 0,
                           show_pos=True, show_percent=True) as bar:
        summary = _operator_call(lambda: export_table(out_dir, segments=segments, progress=bar.update))
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        click.echo(f"exported {summary['itemCount']} items in {summary['seconds']:.1f} s to {summary['folder']}")


@cli.group("rules")
def rules_group() -> None:
    """The rules document: replay a candidate against the ledger before a PUT."""


@rules_group.command("replay")
@click.argument("candidate", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--since", help="First day of the period (2026-09-01, UTC; default: 90 days before --until).")
@click.option("--until", help="Last day of the period, included (default: now).")
@click.option("--baseline", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Compare with this rules document instead of the rules in force.")
@click.option("--segments", default=4, show_default=True, type=click.IntRange(1, 64),
              help="Parallel Scan segments (threads).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write a self-contained HTML page with charts.")
@on_target
def rules_replay_command(candidate: Path, since: Optional[str], until: Optional[str], baseline: Optional[Path],
                         segments: int, as_json: bool, html_file: Optional[Path]) -> None:
    """What CANDIDATE (a rules document, as PUT /v1/admin/rules takes it) would have done: each
    customer's tier today and every order of the period priced again, against the rules in
    force. Reads the table (parallel Scan), never writes it. Exit 2 when a document is invalid."""
    from .domain.rules import RulesInvalid
    from .services.replay import parse_day, replay_rules

    documents = {"candidate": _rules_file(candidate, "candidate", as_json)}
    if baseline is not None:
        documents["baseline"] = _rules_file(baseline, "baseline", as_json)
    try:
        period = {"since": parse_day(since) if since else None, "until": parse_day(until, end=True) if until else None}
    except ValueError as error:
        raise click.BadParameter(str(error))
    from .services.rules import checked_rules

    for name, document in documents.items():  # both checked before anything is read
        try:
            checked_rules(document)
        except RulesInvalid as error:
            _invalid_rules(name, error, as_json)
    ref = _log_ref_function()
    from .store.customers import approximate_item_count

    # Progress on stderr, per Scan page: items read of the table's (approximate) item count.
    with click.progressbar(label="reading the ledger", file=sys.stderr, length=approximate_item_count() or 0,
                           show_pos=True, show_percent=True) as bar:
        report = _operator_call(lambda: replay_rules(documents["candidate"], baseline=documents.get("baseline"),
                                                     segments=segments, progress=bar.update, log_ref=ref,
                                                     **period))
    if html_file is not None:
        from .replay_html import replay_page

        html_file.write_text(replay_page(report), encoding="utf-8")
    click.echo(json.dumps(report, indent=2) if as_json else _readable_replay(report))
    if html_file is not None and not as_json:
        click.echo(f"report page: {html_file}")


def _rules_file(path: Path, name: str, as_json: bool) -> dict:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        _invalid_rules(name, _NotJson(f"{path.name} is not JSON: {error}"), as_json)
    if not isinstance(document, dict):
        _invalid_rules(name, _NotJson(f"{path.name} must hold one JSON object"), as_json)
    return document


class _NotJson(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.errors = [{"field": "(document)", "reason": reason}]


def _invalid_rules(name: str, error, as_json: bool):
    """Print every field error (the PUT's own) and exit 2."""
    if as_json:
        click.echo(json.dumps({"error": {"code": "invalid_rules", "document": name, "message": str(error),
                                         "details": error.errors}}, indent=2))
    else:
        click.echo(f"the {name} is not a valid rules document (nothing was read):", err=True)
        for problem in error.errors:
            click.echo(f"  {problem['field']}: {problem['reason']}", err=True)
    sys.exit(2)


def _log_ref_function():
    from .domain.errors import ServiceUnavailable
    from .observability import customer_ref

    try:
        key = _hash_key()
    except ServiceUnavailable:
        return lambda customer_id: None
    return lambda customer_id: customer_ref(customer_id, key=key)


def _readable_replay(report: dict) -> str:
    tiers, orders = report["tiers_today"], report["orders"]
    currency = orders["currency"]

    def money(amount: int) -> str:
        return format_money(amount, currency)

    names = tiers["tiers"]
    width = max(len(name) for name in names) + 2
    lines = [f"period {report['period']['since']} to {report['period']['until']}; baseline: "
             f"{report['baseline_source']} (version {report['baseline_version']}); {report['items_read']} items read",
             "", f"tiers today ({tiers['customers']} customers): baseline -> candidate"]
    lines += [f"  {name:<{width}}{tiers['baseline'][name]:>7} -> {tiers['candidate'][name]:<7}" for name in names]
    lines.append(f"  movement (rows: baseline, columns: candidate)")
    lines.append("  " + " " * width + "".join(f"{name:>{width}}" for name in names))
    for name in names:
        row = tiers["movement"].get(name, {})
        lines.append(f"  {name:<{width}}" + "".join(f"{row.get(other, 0):>{width}}" for other in names))
    lines.append(f"  {tiers['moved_down']} would move down, {tiers['moved_up']} up")
    if tiers["largest_value_moving_down"]:
        lines.append("  largest lifetime value moving down (id, log ref):")
        lines += [f"    {row['customer_id']}  {row['log_ref'] or '-'}  {row['from']} -> {row['to']}"
                  for row in tiers["largest_value_moving_down"]]
    base, cand = orders["baseline"], orders["candidate"]
    lines += ["", f"orders placed in the period: {orders['orders']} ({orders['orders_priced']} priced, "
                  f"{orders['without_quote']} recorded without a quote, {orders['codes_inferred']} with codes "
                  "inferred from what they got)",
              f"  discount: baseline {money(base['discount'])}, candidate {money(cand['discount'])} "
              f"(difference {money(orders['difference'])})"]
    for title, key in (("by kind", "by_kind"), ("by tier at the order", "by_tier"), ("by customer", "by_customer")):
        lines.append(f"  {title}:")
        for name in dict.fromkeys([*base[key], *cand[key]]):
            lines.append(f"    {name:<22}{money(base[key].get(name, 0)):>14} -> {money(cand[key].get(name, 0))}")
    lines.append(f"  orders whose total would be zero: baseline {base['orders_free']}, candidate {cand['orders_free']}")
    for side in ("baseline", "candidate"):
        for run_out in orders["promotions_running_out"][side]:
            text = [f"  {side}: {run_out['code']}"]
            if run_out["budget_ran_out_on"]:
                text.append(f"budget of {run_out['budget']} used up on {run_out['budget_ran_out_on']}")
            if run_out["customers_at_limit"]:
                text.append(f"{run_out['customers_at_limit']} customer(s) reached the limit of "
                            f"{run_out['per_customer_limit']}, first on {run_out['first_customer_at_limit_on']}")
            lines.append(", ".join(text))
    if orders["not_priced"]:
        lines.append(f"  orders that could not be priced: {len(orders['not_priced'])}")
        lines += [f"    {row['order_id']} ({row['currency']}): {row['baseline'] or row['candidate']}"
                  for row in orders["not_priced"]]
    exact = orders["exactness"]
    lines += ["", f"exactness check: {exact['orders_matching']} of {exact['orders_checked']} orders quoted under "
                  f"version {exact['rules_version']} replay to exactly the discounts they got"
                  + ("" if exact["exact"] else f"; {len(exact['differences'])} DIFFER (the ledger and the pricing "
                                               "disagree):")]
    lines += [f"  {row['order_id']}: got {row['actual']}, replayed {row['replayed']}" for row in exact["differences"]]
    if exact["not_checked_other_versions"]:
        lines.append("  not checked (quoted under other versions): " + ", ".join(
            f"{count} under version {version}" for version, count in exact["not_checked_other_versions"].items()))
    return "\n".join(lines)


@cli.command("log-ref")
@click.argument("customer_id")
@on_target
def log_ref_command(customer_id: str) -> None:
    """How the logs name CUSTOMER_ID (a keyed hash): search CloudWatch Logs Insights for it.

    Needs the stage's hash key: LOYALTY_HASH_KEY, or LOYALTY_HASH_KEY_SECRET_ID (Secrets
    Manager); locally, the key make run keeps in .data/hash-key."""
    from .observability import customer_ref

    click.echo(_operator_call(lambda: customer_ref(customer_id, key=_hash_key())))


def _hash_key() -> str:
    from .stage_secrets import HASH_KEY, hash_key, secret

    local = Path(__file__).resolve().parent.parent / ".data" / "hash-key"
    if secret(HASH_KEY) is None and local.exists():
        return local.read_text(encoding="utf-8").strip()
    return hash_key()


@cli.command("rehash-lookups")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@on_target
def rehash_lookups_command(as_json: bool) -> None:
    """Rebuild every profile's email and phone lookup hashes with the current hash key (after
    a rotation of the key, or once after hashes became keyed or normalisation changed), and
    backfill the identity index (emails, phones, delivered addresses). Idempotent; safe to rerun."""
    from .services.customers import rebuild_lookup_hashes

    summary = _operator_call(rebuild_lookup_hashes)
    click.echo(json.dumps(summary) if as_json else
               f"{summary['profiles']} profile(s) read, {summary['updated']} lookup hash(es) rebuilt, "
               f"{summary['identity_indexed']} record(s) listed on the identity index")


@cli.command("mint-customer-token")
@click.argument("customer_id")
@click.option("--minutes", default=60, show_default=True)
def mint_customer_token_command(customer_id: str, minutes: int) -> None:
    """A customer app token for the local stage (signed by the key pair under .data/)."""
    from devtools.local_customer_keys import mint_customer_token

    click.echo(mint_customer_token(customer_id, minutes=minutes))


def quote_path(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def _readable_360(view: dict) -> str:
    profile, tier, stats = view["profile"], view["tier"], view["stats"]
    lines = [
        f"{view['customer_id']}  {profile.get('name') or '-'}  {profile.get('email') or ''}  {profile.get('phone') or ''}",
        f"tier: {tier.get('tier') or '-'} ({tier.get('tier_basis')}) - {tier.get('tier_explanation')}",
    ]
    if tier.get("override_reason"):
        lines.append(f"  set by staff: {tier['override_reason']}")
    if tier.get("next_tier"):
        lines.append(f"  next: {tier['next_tier'].get('progress')}")
    lifetime, window = stats["lifetime"], stats["rolling_12_months"]
    lines += [
        f"lifetime: {lifetime['orders']} orders, {format_money(**lifetime['net_spend'])} net; "
        f"last 12 months: {window['orders']} orders, {format_money(**window['net_spend'])}",
        f"first order {stats['first_order_at'] or '-'}, last {stats['last_order_at'] or '-'}; "
        f"delivered {stats['delivered_orders']}, returns {stats['returns']}, refunds {stats['refunds']}, "
        f"chargebacks {stats['chargebacks']}; goodwill {format_money(**stats['goodwill_granted'])}",
    ]
    value = view.get("value")
    if value:
        active = value["probability_active"]
        lines.append(
            f"estimates: about {value['expected_orders_12m']} orders in the next 12 months, "
            f"{value['expected_orders_5y']} in 5 years, worth {format_money(**value['expected_value_5y'])}; "
            f"probability active {'unknown (one purchase day)' if active is None else f'{active:.0%}'}")
    for flag in view["flags"]:
        lines.append(f"! {flag}")
    lines.append("addresses:")
    for address in view["addresses"]:
        text = ", ".join(str(v) for v in address["address"].values())
        lines.append(f"  {address['address_id']}  {text}  shipped {address['orders_shipped']}, "
                     f"delivered {address['deliveries_confirmed']}, confirmed by {address['confirmed_by'] or '-'}")
    lines.append("recent ledger:")
    lines += [f"  {entry['at']}  {entry.get('description') or entry['type']}" for entry in view["recent_ledger"][:10]]
    if view["decisions"]:
        lines.append("checkouts held for verification or review:")
        lines += [f"  {d['decided_at']}  {d['decision']} (score {d['score']})" for d in view["decisions"][:5]]
    if view["notes"]:
        lines.append("notes:")
        lines += [f"  {note['at']}  {note.get('text')} ({note['operator']})" for note in view["notes"][:5]]
    if view.get("possible_duplicates"):
        lines.append("possible duplicates:")
        for duplicate in view["possible_duplicates"]:
            merge = duplicate["merge"]
            target = merge["path"].split("/")[-2]
            same = "possible same customer; " if duplicate["possible_same_customer"] else ""
            lines.append(f"  {duplicate['customer_id']}  {duplicate['lifetime_orders']} orders; {same}agree: "
                         f"{', '.join(duplicate['facts'])}; merge: customers merge {target} "
                         f"--from {merge['body']['source_customer_id']}")
    if view.get("identity_matches"):
        lines.append("guest checkouts that matched this record and others:")
        lines += [f"  {m['at']}  {m['quote_id']} by {', '.join(m['by'])}, also {', '.join(m['others'])}"
                  for m in view["identity_matches"][:5]]
    return "\n".join(lines)


@cli.command("seed-demo")
@on_target
def seed_demo_command() -> None:
    """Load the demo customers of the two stories (idempotent: safe on every start)."""
    from devtools.demo import seed_demo

    for line in seed_demo():
        click.echo(line)



@cli.group("events")
def events_group() -> None:
    """Domain events (docs/events.md)."""


@events_group.command("tail")
@click.option("--file", "path", type=click.Path(dir_okay=False, path_type=Path), default=Path(".data/events.jsonl"),
              show_default=True, help="The events file make run writes.")
@click.option("--json", "as_json", is_flag=True, help="Print each event as its JSON line.")
@click.option("--from-start", is_flag=True, help="Print the events already in the file first.")
@click.option("--once", is_flag=True, help="Print what is there and stop instead of following.")
def events_tail(path: Path, as_json: bool, from_start: bool, once: bool) -> None:
    """Follow the local events file as make run appends to it (Ctrl-C stops)."""
    import time as _time

    from .event_bus import short_line

    while not path.exists():
        if once:
            return
        _time.sleep(0.3)
    with path.open(encoding="utf-8") as handle:
        if not from_start and not once:
            handle.seek(0, 2)
        while True:
            line = handle.readline()
            if not line:
                if once:
                    return
                _time.sleep(0.3)
                continue
            if line.strip():
                click.echo(line.rstrip("\n") if as_json else short_line(json.loads(line)))


@events_group.command("replay")
@click.argument("customer_id")
@click.option("--since", required=True, help="From this time (ISO 8601 with offset), included.")
@click.option("--until", help="Up to this time (ISO 8601 with offset), excluded. Default: now.")
@click.option("--file", "path", type=click.Path(dir_okay=False, path_type=Path), default=Path(".data/events.jsonl"),
              show_default=True, help="Locally (no LOYALTY_EVENT_BUS): the events file to append to.")
@click.option("--json", "as_json", is_flag=True, help="Print what was sent as one JSON document.")
@on_target
def events_replay(customer_id: str, since: str, until: Optional[str], path: Path, as_json: bool) -> None:
    """Re-send CUSTOMER_ID's events that occurred in [--since, --until) with their original
    event_ids (a consumer deduplicating on event_id takes only what it lacks). To the stage's
    bus when LOYALTY_EVENT_BUS is set, else appended to the local events file. Tier events are
    not replayed (docs/events.md, Replay)."""
    from .event_bus import EventBridgePublisher, JsonlPublisher, short_line
    from .services.event_replay import NothingToReplay, replay_customer_events

    bus = os.environ.get("LOYALTY_EVENT_BUS")
    publisher = (EventBridgePublisher(bus, os.environ.get("LOYALTY_EVENTS_DLQ_URL") or None) if bus
                 else JsonlPublisher(path))
    try:
        start = _aware(since, "--since")
        end = _aware(until, "--until") if until else datetime.now(timezone.utc)
        summary = _operator_call(lambda: replay_customer_events(customer_id, start, end, publisher))
    except NothingToReplay:
        click.echo(f"error: no customer {customer_id}", err=True)
        sys.exit(1)
    except ValueError as problem:
        click.echo(f"error: {problem}", err=True)
        sys.exit(2)
    summary["destination"] = f"bus {bus}" if bus else str(path)
    if as_json:
        click.echo(json.dumps(summary, sort_keys=True))
        return
    for event in summary["events"]:
        click.echo(f"{event['occurred_at']}  {short_line(event)}")
    skipped = f"; {summary['unreadable_items']} unreadable item(s) skipped" if summary["unreadable_items"] else ""
    click.echo(f"{summary['sent']} event(s) of {customer_id} re-sent to {summary['destination']}{skipped}")


def _aware(value: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{option}: not an ISO 8601 time: {value!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"{option}: give a UTC offset (e.g. 2026-11-01T00:00:00Z)")
    return moment.astimezone(timezone.utc)


if __name__ == "__main__":
    cli()
