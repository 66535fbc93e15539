"""`/api/v1/accounts`: open, read (logged), correct, merge, erase, export, and the learner's access log."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import principal, requires
from api.context import bank_did, keyring
from api.extensions import db
from api.ids import path_uuid
from ledger import accounts, national_id
from ledger.roles import Role
from schemas.accounts import (
    AccessLogOut,
    AccessLogQuery,
    AccountIn,
    AccountOut,
    AccountRefOut,
    CorrectionIn,
    EraseIn,
    ExportOut,
    MergeIn,
    OpenedOut,
    ReadQuery,
)

blp = Blueprint("accounts", __name__, url_prefix="/api/v1",
                description="Learner accounts (终身学习账户): personal data sealed, every outside read logged")


def _view(account: accounts.Account) -> dict[str, Any]:
    """The account with its personal data opened, for AccountOut."""
    pd = accounts.personal_data(keyring(), account)
    ids = accounts.merged_ids(db.session, account.id)
    return {
        "id": account.id, "card_number": account.card_number, "status": account.status,
        "opened_at": account.opened_at, "erased_at": account.erased_at,
        "national_id_masked": national_id.masked(pd.national_id) if pd.national_id else None,
        "name": pd.name, "phone": pd.phone, "merged_from": ids[1:],
        "openings": accounts.openings(db.session, account),
    }


@blp.route("/accounts", methods=["POST"])
@requires(Role.INSTITUTION, Role.UNION, Role.OPERATOR)
@blp.arguments(AccountIn)
@blp.response(201, OpenedOut)
@blp.alt_response(200, schema=OpenedOut, description="the account already existed for this ID")
def open_account(data: dict[str, Any]) -> Any:
    """Open a learner's account; an ID that already has one gives that account (200) and records this opener."""
    opened = accounts.open_account(db.session, keyring(), principal(), bank_did(),
                                   national_id_number=data["national_id"], name=data["name"], phone=data["phone"])
    db.session.commit()
    a = opened.account
    body = {"id": a.id, "card_number": a.card_number, "status": a.status, "opened_at": a.opened_at,
            "erased_at": a.erased_at, "created": opened.created}
    return body, 201 if opened.created else 200


@blp.route("/accounts/<string:account_id>")
class Account(MethodView):
    """One account."""

    @requires()
    @blp.arguments(ReadQuery, location="query")
    @blp.response(200, AccountOut)
    def get(self, query: dict[str, Any], account_id: str) -> Any:
        """The account (learner; its openers, institutions that posted to it, operators: with a reason, logged).

        A merged account answers with the surviving account and its id.
        """
        account = accounts.get_account_for(db.session, principal(), path_uuid(account_id), query["reason"])
        body = _view(account)
        db.session.commit()
        return body

    @requires(Role.LEARNER, Role.INSTITUTION, Role.OPERATOR)
    @blp.arguments(CorrectionIn)
    @blp.response(200, AccountOut)
    def patch(self, data: dict[str, Any], account_id: str) -> Any:
        """Correct name and/or phone (learner, an opening institution, operators; others give a reason)."""
        reason = data.pop("reason", None)
        account = accounts.correct_account(db.session, keyring(), principal(), bank_did(), path_uuid(account_id),
                                           data, reason)
        body = _view(account)
        db.session.commit()
        return body


@blp.route("/accounts/<string:account_id>:merge", methods=["POST"])
@requires(Role.OPERATOR)
@blp.arguments(MergeIn)
@blp.response(200, AccountRefOut)
def merge(data: dict[str, Any], account_id: str) -> Any:
    """Merge the duplicate `from` into this account (operators); reads of `from` then answer with this one."""
    account = accounts.merge_accounts(db.session, principal(), bank_did(), path_uuid(account_id), data["from_"],
                                      data["reason"])
    db.session.commit()
    return account


@blp.route("/accounts/<string:account_id>:erase", methods=["POST"])
@requires(Role.OPERATOR)
@blp.arguments(EraseIn)
@blp.response(200, AccountRefOut)
def erase(data: dict[str, Any], account_id: str) -> Any:
    """Erase the learner's personal data on request (operators); the log stays whole."""
    account = accounts.erase_account(db.session, principal(), bank_did(), path_uuid(account_id), data["reason"])
    db.session.commit()
    return account


@blp.route("/accounts/<string:account_id>/export", methods=["GET"])
@requires(Role.LEARNER, Role.OPERATOR)
@blp.arguments(ReadQuery, location="query")
@blp.response(200, ExportOut)
def export(query: dict[str, Any], account_id: str) -> Any:
    """Everything the bank holds on the learner, decrypted (the learner; operators with a reason, logged)."""
    doc = accounts.export_account(db.session, keyring(), principal(), path_uuid(account_id), query["reason"])
    db.session.commit()
    return doc


@blp.route("/accounts/<string:account_id>/access-log", methods=["GET"])
@requires(Role.LEARNER)
@blp.arguments(AccessLogQuery, location="query")
@blp.response(200, AccessLogOut)
def access_log(query: dict[str, Any], account_id: str) -> Any:
    """Who read or changed the account, when and why, newest first (the learner only)."""
    rows = accounts.access_log(db.session, principal(), path_uuid(account_id), limit=query["limit"] + 1,
                               cursor=query["cursor"])
    page = rows[:query["limit"]]
    return {"items": accounts.describe_access(db.session, page),
            "next_cursor": accounts.access_cursor(page[-1]) if len(rows) > query["limit"] else None}
