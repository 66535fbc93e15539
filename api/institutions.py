"""`/api/v1/institutions`: the registry of issuers, their authorisations, keys and API clients."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import principal, requires
from api.context import bank_did, keyring
from api.extensions import db
from api.ids import path_uuid
from ledger import institutions
from ledger.roles import Role
from schemas.clients import IssuedKeyOut
from schemas.institutions import (
    AuthorisationIn,
    AuthorisationOut,
    InstitutionClientIn,
    InstitutionIn,
    InstitutionKeyIn,
    InstitutionKeyOut,
    InstitutionOut,
    InstitutionQuery,
)

blp = Blueprint("institutions", __name__, url_prefix="/api/v1",
                description="Institutions: registry, authorisations, keys (public profiles for verifiers)")


@blp.route("/institutions")
class Institutions(MethodView):
    """The registry."""

    @blp.arguments(InstitutionQuery, location="query")
    @blp.response(200, InstitutionOut(many=True))
    def get(self, query: dict[str, Any]) -> Any:
        """Public profiles of institutions, filtered by kind, region (prefix) or did (current or past key)."""
        return institutions.list_institutions(db.session, kind=query["kind"], region_code=query["region_code"],
                                              did=query["did"])

    @requires(Role.OPERATOR)
    @blp.arguments(InstitutionIn)
    @blp.response(201, InstitutionOut)
    def post(self, data: dict[str, Any]) -> Any:
        """Register an institution with its first key (custodial unless a public key is given) and authorisations."""
        inst = institutions.register_institution(db.session, keyring(), principal(), bank_did(), **data)
        db.session.commit()
        return inst


@blp.route("/institutions/<string:institution_id>", methods=["GET"])
@blp.response(200, InstitutionOut)
def get_institution(institution_id: str) -> Any:
    """An institution's public profile: kind, region, current and past keys, authorisations with their windows."""
    return institutions.get_institution(db.session, path_uuid(institution_id))


@blp.route("/institutions/<string:institution_id>/authorisations", methods=["POST"])
@requires(Role.OPERATOR)
@blp.arguments(AuthorisationIn)
@blp.response(201, AuthorisationOut)
def grant(data: dict[str, Any], institution_id: str) -> Any:
    """Authorise the institution to issue one kind during a window (operators)."""
    auth = institutions.grant_authorisation(db.session, principal(), bank_did(), path_uuid(institution_id), **data)
    db.session.commit()
    return auth


@blp.route("/institutions/<string:institution_id>/authorisations/<string:authorisation_id>", methods=["DELETE"])
@requires(Role.OPERATOR)
@blp.response(200, AuthorisationOut)
def withdraw(institution_id: str, authorisation_id: str) -> Any:
    """End an authorisation now; it stays listed with its window (operators)."""
    auth = institutions.withdraw_authorisation(db.session, principal(), bank_did(), path_uuid(institution_id),
                                               path_uuid(authorisation_id))
    db.session.commit()
    return auth


@blp.route("/institutions/<string:institution_id>/keys:rotate", methods=["POST"])
@requires(Role.OPERATOR, Role.INSTITUTION)
@blp.response(201, InstitutionKeyOut)
def rotate_key(institution_id: str) -> Any:
    """A new custodial key becomes current; the old one stops signing now but verifies what it signed."""
    key = institutions.rotate_custodial_key(db.session, keyring(), principal(), bank_did(), path_uuid(institution_id))
    db.session.commit()
    return key


@blp.route("/institutions/<string:institution_id>/keys", methods=["POST"])
@requires(Role.OPERATOR, Role.INSTITUTION)
@blp.arguments(InstitutionKeyIn)
@blp.response(201, InstitutionKeyOut)
def register_key(data: dict[str, Any], institution_id: str) -> Any:
    """Register the institution's own public key (Multikey or did:key) as its current key."""
    key = institutions.register_own_key(db.session, keyring(), principal(), bank_did(), path_uuid(institution_id),
                                        **data)
    db.session.commit()
    return key


@blp.route("/institutions/<string:institution_id>/clients", methods=["POST"])
@requires(Role.OPERATOR, Role.INSTITUTION)
@blp.arguments(InstitutionClientIn)
@blp.response(201, IssuedKeyOut)
def create_client(data: dict[str, Any], institution_id: str) -> Any:
    """An API client bound to the institution (the institution itself, or an operator); its key is shown once."""
    issued = institutions.create_institution_client(db.session, principal(), path_uuid(institution_id), **data)
    db.session.commit()
    return issued
