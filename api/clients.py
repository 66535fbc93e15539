"""`/api/v1/clients`: machine clients and their API keys (create, list, rotate, revoke)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import principal, requires
from api.extensions import db
from api.ids import path_uuid
from ledger import clients
from ledger.roles import Role
from schemas.clients import ClientIn, ClientOut, IssuedKeyOut, KeyOut, RotateIn, WhoAmIOut

blp = Blueprint("clients", __name__, url_prefix="/api/v1", description="API clients and keys")


@blp.route("/clients")
class Clients(MethodView):
    """All machine clients."""

    @requires(Role.OPERATOR)
    @blp.response(200, ClientOut(many=True))
    def get(self) -> Any:
        """List clients and their keys (operators)."""
        return clients.list_clients(db.session, principal())

    @requires(Role.OPERATOR)
    @blp.arguments(ClientIn)
    @blp.response(201, IssuedKeyOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Register a client; the answer carries its first key, shown only once."""
        issued = clients.create_client(
            db.session, principal(), name=data["name"], roles=data["roles"],
            institution_id=data["institution"], account_id=data["account"], organisation=data["organisation"],
        )
        db.session.commit()
        return issued


@blp.route("/clients/<string:client_id>")
class Client(MethodView):
    """One client."""

    @requires()
    @blp.response(200, ClientOut)
    def get(self, client_id: str) -> Any:
        """A client (operators, or the client itself)."""
        return clients.read_client(db.session, principal(), path_uuid(client_id))

    @requires(Role.OPERATOR)
    @blp.response(200, ClientOut)
    def delete(self, client_id: str) -> Any:
        """Disable a client and revoke all its keys."""
        client = clients.disable_client(db.session, principal(), path_uuid(client_id))
        db.session.commit()
        return client


@blp.route("/clients/<string:client_id>/keys:rotate", methods=["POST"])
@requires()
@blp.arguments(RotateIn)
@blp.response(201, IssuedKeyOut)
def rotate(data: dict[str, Any], client_id: str) -> Any:
    """Issue a new key; the old ones stop working after `grace_seconds`."""
    issued = clients.rotate_key(db.session, principal(), path_uuid(client_id),
                                grace=dt.timedelta(seconds=data["grace_seconds"]))
    db.session.commit()
    return issued


@blp.route("/clients/<string:client_id>/keys/<string:key_id>", methods=["DELETE"])
@requires()
@blp.response(200, KeyOut)
def revoke(client_id: str, key_id: str) -> Any:
    """Revoke one key at once."""
    key = clients.revoke_key(db.session, principal(), path_uuid(client_id), key_id)
    db.session.commit()
    return key


@blp.route("/me", methods=["GET"])
@requires()
@blp.response(200, WhoAmIOut)
def whoami() -> Any:
    """Who the bank thinks you are."""
    return principal()
