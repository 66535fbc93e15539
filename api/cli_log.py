"""`flask log …`: audit the whole log, sign a checkpoint now, print the verifier key."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from api.context import log_signer
from api.extensions import db
from credentials.note import Verifier
from ledger import bankkeys
from ledger.log.audit import audit
from ledger.log.checkpoints import sign_if_due

log_cli = AppGroup("log", help="The transparency log.")


@log_cli.command("audit")
def audit_command() -> None:
    """Recompute the tree from stored leaves; check hashes, head and every checkpoint. Exit 1 on a problem."""
    origin = current_app.config["LOG_ORIGIN"]
    verifiers = [Verifier.from_public_key(k.name, k.public())
                 for k in bankkeys.all_keys(db.session, bankkeys.LOG_PURPOSE) if k.name == origin]
    started = time.perf_counter()
    report = audit(db.session, verifiers, origin)
    seconds = time.perf_counter() - started
    out: dict[str, Any] = {"ok": report.ok, "entries": report.entries, "nodes": report.nodes,
                           "checkpoints": report.checkpoints,
                           "seconds": round(seconds, 3),
                           "entries_per_second": round(report.entries / seconds) if seconds and report.entries else None}
    if not report.ok:
        out["problem"] = report.problem
        out["first_bad_index"] = report.bad_index
    click.echo(json.dumps(out))
    if not report.ok:
        where = f" at entry {report.bad_index}" if report.bad_index is not None else ""
        click.echo(f"AUDIT FAILED{where}: {report.problem}", err=True)
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
