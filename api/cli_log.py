"""`flask log …`: audit the whole log, sign a checkpoint now, print the verifier key."""

from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from api.context import log_signer
from api.extensions import db
from ledger.log.audit import audit_summary
from ledger.log.checkpoints import sign_if_due

log_cli = AppGroup("log", help="The transparency log.")


@log_cli.command("audit")
def audit_command() -> None:
    """Recompute the tree from stored leaves; check hashes, head and every checkpoint. Exit 1 on a problem."""
    out = audit_summary(db.session, current_app.config["LOG_ORIGIN"])
    click.echo(json.dumps(out))
    if not out["ok"]:
        where = f" at entry {out['first_bad_index']}" if out["first_bad_index"] is not None else ""
        click.echo(f"AUDIT FAILED{where}: {out['problem']}", err=True)
        sys.exit(1)


@log_cli.command("sign")
def sign_command() -> None:
    """Sign a checkpoint now if the log has grown since the last one."""
    cp = sign_if_due(db.session, log_signer(), min_interval=0, force=True)
    click.echo(cp.note if cp else "nothing to sign: no new entries since the last checkpoint")


@log_cli.command("key")
def key_command() -> None:
    """Print the log's verifier key."""
    click.echo(log_signer().verifier.key_string())
