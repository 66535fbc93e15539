"""`flask keys …`: master key rotation (re-seal every sealed value, re-hash every look-up hash)."""

from __future__ import annotations

import json
import os

import click
from flask.cli import AppGroup

from api.context import forget_cached_keys, keyring
from api.extensions import db
from credentials.sealing import SealingError, decode_master_key
from ledger import masterkey
from ledger.keyring import Keyring

keys_cli = AppGroup("keys", help="The master key.")


@keys_cli.command("rotate-master")
@click.option("--new-key-env", required=True, metavar="VAR",
              help="environment variable holding the new master key (base64 of 32 random bytes)")
def rotate_master(new_key_env: str) -> None:
    """Re-seal everything under the new master key in one transaction; then make it CREDITBANK_MASTER_KEY."""
    text = os.environ.get(new_key_env)
    if not text:
        raise click.ClickException(f"environment variable {new_key_env} is not set")
    try:
        new = decode_master_key(text)
    except SealingError as e:
        raise click.ClickException(f"{new_key_env}: {e}") from None
    configured = keyring()
    ring = Keyring(new, tuple(k for k in dict.fromkeys((configured.current, *configured.old)) if k != new))
    try:
        report = masterkey.rewrap_all(db.session, ring)
        db.session.commit()
    except SealingError as e:
        db.session.rollback()
        raise click.ClickException(f"nothing changed: {e}") from None
    forget_cached_keys()
    click.echo(json.dumps({"master_key_id": ring.current_id, "resealed": report.resealed,
                           "rehashed": report.rehashed}))
    click.echo(f"Now set CREDITBANK_MASTER_KEY to the value of {new_key_env} and restart; the old key is no "
               "longer needed (keep it in CREDITBANK_OLD_MASTER_KEYS only until every process has restarted).",
               err=True)
