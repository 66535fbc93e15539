"""Command-line tools (`flask --app app …`): keys, people, the log, demo data."""

from __future__ import annotations

import json
import uuid

import click
from flask import Flask
from flask.cli import AppGroup

from api.extensions import db
from ledger import clients, people
from ledger.errors import LedgerError
from ledger.principal import SYSTEM
from ledger.roles import Role

clients_cli = AppGroup("clients", help="API clients and their keys.")
users_cli = AppGroup("users", help="People with logins.")

_ROLES = click.Choice([r.value for r in Role])


def _fail(err: LedgerError) -> None:
    raise click.ClickException(f"{err.message_en} / {err.message_zh}")


@clients_cli.command("create")
@click.option("--name", required=True)
@click.option("--role", "roles", multiple=True, required=True, type=_ROLES, help="repeat for several roles")
@click.option("--institution", default=None, help="institution id the client acts for")
@click.option("--account", default=None, help="learner account id the client acts for")
@click.option("--organisation", default=None, help="employer or union unit")
def create_client(name: str, roles: tuple[str, ...], institution: str | None, account: str | None,
                  organisation: str | None) -> None:
    """Create a client and print its first key (the first operator key is made this way)."""
    try:
        issued = clients.create_client(
            db.session, SYSTEM, name=name, roles=list(roles),
            institution_id=_uuid(institution), account_id=_uuid(account), organisation=organisation,
        )
    except LedgerError as e:
        _fail(e)
    db.session.commit()
    click.echo(json.dumps({"client": f"urn:uuid:{issued.client_id}", "key_id": issued.key_id,
                           "token": issued.token}))


@clients_cli.command("list")
def list_clients() -> None:
    """List clients and their keys (no secrets)."""
    for c in clients.list_clients(db.session, SYSTEM):
        keys = ",".join(k.key_id + ("(revoked)" if k.revoked_at else "") for k in c.keys)
        click.echo(f"urn:uuid:{c.id}\t{c.name}\t{'+'.join(c.roles)}\t{keys}")


@clients_cli.command("rotate")
@click.argument("client_id")
@click.option("--grace-seconds", default=0, type=int)
def rotate(client_id: str, grace_seconds: int) -> None:
    """Issue a new key for a client; old keys end after the grace period."""
    import datetime as dt

    try:
        issued = clients.rotate_key(db.session, SYSTEM, _uuid(client_id) or uuid.UUID(int=0),
                                    grace=dt.timedelta(seconds=grace_seconds))
    except LedgerError as e:
        _fail(e)
    db.session.commit()
    click.echo(json.dumps({"client": f"urn:uuid:{issued.client_id}", "key_id": issued.key_id,
                           "token": issued.token}))


@clients_cli.command("revoke")
@click.argument("client_id")
@click.argument("key_id")
def revoke(client_id: str, key_id: str) -> None:
    """Revoke one key at once."""
    try:
        clients.revoke_key(db.session, SYSTEM, _uuid(client_id) or uuid.UUID(int=0), key_id)
    except LedgerError as e:
        _fail(e)
    db.session.commit()
    click.echo(f"revoked {key_id}")


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--role", "roles", multiple=True, required=True, type=_ROLES)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--institution", default=None)
@click.option("--account", default=None)
@click.option("--organisation", default=None)
def create_user(username: str, display_name: str, roles: tuple[str, ...], password: str, institution: str | None,
                account: str | None, organisation: str | None) -> None:
    """Create a login for a person."""
    from flask import current_app

    try:
        user = people.create_user(
            db.session, SYSTEM, current_app.extensions["creditbank.hasher"], username=username,
            display_name=display_name, roles=list(roles), password=password,
            institution_id=_uuid(institution), account_id=_uuid(account), organisation=organisation,
        )
    except LedgerError as e:
        _fail(e)
    db.session.commit()
    click.echo(f"created urn:uuid:{user.id} {user.username}")


@users_cli.command("reset-code")
@click.argument("username")
def reset_code(username: str) -> None:
    """Issue a one-time password reset code for a person."""
    try:
        code = people.issue_reset_code(db.session, SYSTEM, username)
    except LedgerError as e:
        _fail(e)
    db.session.commit()
    click.echo(code)


demo_cli = AppGroup("demo", help="Demo data for `make run`.")


@demo_cli.command("init")
def demo_init() -> None:
    """Load demo data on first start and write instance/demo-keys.json (demo mode only)."""
    from pathlib import Path

    from flask import current_app

    from api.context import bank_did, keyring
    from ledger import demo

    if not current_app.config["DEMO"]:
        raise click.ClickException("demo data only in demo mode (CREDITBANK_DEMO=true)")
    path = Path(current_app.instance_path) / "demo-keys.json"
    saved = json.loads(path.read_text()) if path.exists() else None
    ids = demo.load_demo_data(db.session, keyring(), bank_did(), str(current_app.config["PUBLIC_URL"]))
    db.session.commit()
    hasher = current_app.extensions["creditbank.hasher"]
    if saved and saved.get("ids") == ids and demo.keys_still_valid(db.session, saved.get("keys", {})) \
            and demo.logins_still_valid(db.session, hasher, saved.get("logins")):
        doc = saved
    else:
        doc = demo.demo_document(demo.make_demo_keys(db.session, demo.key_bindings(db.session, ids)), ids,
                                 demo.make_demo_logins(db.session, hasher, ids))
        db.session.commit()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, indent=1, ensure_ascii=False))
        path.chmod(0o600)
    db.session.commit()
    click.echo(f"demo keys: {path}")
    click.echo(json.dumps(doc, ensure_ascii=False))


def _uuid(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value[9:] if value.lower().startswith("urn:uuid:") else value)
    except ValueError as e:
        raise click.BadParameter(f"not a uuid: {value}") from e


def register(app: Flask) -> None:
    """Attach the command groups to the app."""
    app.cli.add_command(clients_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    from api.cli_log import log_cli

    app.cli.add_command(log_cli)
    from api.cli_keys import keys_cli

    app.cli.add_command(keys_cli)
