"""`/api/v1/programmes`, `/api/v1/rulesets`, `/api/v1/agreements`: the published conversion catalogue."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Blueprint

from api.auth import principal, requires
from api.context import bank_did
from api.extensions import db
from api.ids import path_uuid
from ledger import conversion_store, conversions
from ledger.roles import Role
from schemas.conversions import (
    AgreementOut,
    ApplyIn,
    ConversionOut,
    ConversionQuery,
    PlanOut,
    PreviewIn,
    ProgrammeOut,
    RankingOut,
    RankQuery,
    ReapplyIn,
    RecheckOut,
    RuleSetOut,
    RuleSetQuery,
    RuleSetSummaryOut,
)

blp = Blueprint("conversions", __name__, url_prefix="/api/v1",
                description="Credit conversion: programmes, rule sets and mutual-recognition agreements")


@blp.route("/programmes", methods=["GET"])
@blp.response(200, ProgrammeOut(many=True))
def list_programmes() -> Any:
    """Every programme (专业培养方案): courses, pools, total credits; ids are stable."""
    return conversions.list_programmes()


@blp.route("/programmes/<string:programme_id>", methods=["GET"])
@blp.response(200, ProgrammeOut)
def get_programme(programme_id: str) -> Any:
    """One programme."""
    return conversions.get_programme(programme_id)


@blp.route("/rulesets", methods=["GET"])
@blp.response(200, RuleSetSummaryOut(many=True))
def list_rulesets() -> Any:
    """Every rule set version (shipped and published): id, version, style, effective dates, scope, content hash."""
    return conversions.list_rulesets(db.session)


@blp.route("/rulesets", methods=["POST"])
@requires(Role.OPERATOR)
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": {"type": "object"}}}})
@blp.response(201, RuleSetOut)
def publish_ruleset() -> Any:
    """Publish a rule set version (operators): the rule set data file as the body; the content hash is of its bytes.

    Invalid documents are 422 field by field; a version not higher than the newest of that id is 409.
    """
    body = conversion_store.publish_ruleset(db.session, principal(), bank_did(), request.get_data())
    db.session.commit()
    return body


@blp.route("/rulesets/<string:ruleset_id>", methods=["GET"])
@blp.arguments(RuleSetQuery, location="query")
@blp.response(200, RuleSetOut)
def get_ruleset(query: dict[str, Any], ruleset_id: str) -> Any:
    """One rule set with its rules, caps and sources: the newest version, or `?version=N` exactly."""
    return conversions.get_ruleset(ruleset_id, query["version"], session=db.session)


@blp.route("/agreements", methods=["GET"])
@blp.response(200, AgreementOut(many=True))
def list_agreements() -> Any:
    """Every mutual-recognition agreement (学分互认)."""
    return conversions.list_agreements()


@blp.route("/accounts/<string:account_id>/conversions:preview", methods=["POST"])
@requires(Role.LEARNER, Role.INSTITUTION, Role.OPERATOR)
@blp.arguments(PreviewIn)
@blp.response(200, PlanOut)
def preview(data: dict[str, Any], account_id: str) -> Any:
    """What-if: the best plan of the account's outcomes for a programme (the learner, or a reader with a reason).

    Changes nothing except the access log for non-owner reads.
    """
    result = conversions.preview(db.session, principal(), path_uuid(account_id), data["programme"], data["ruleset"],
                                 data["as_of"], data["reason"])
    body = conversions.plan_view(result)
    db.session.commit()
    return body


@blp.route("/accounts/<string:account_id>/programmes:rank", methods=["GET"])
@requires(Role.LEARNER, Role.INSTITUTION, Role.OPERATOR)
@blp.arguments(RankQuery, location="query")
@blp.response(200, RankingOut(many=True))
def rank_programmes(query: dict[str, Any], account_id: str) -> Any:
    """Every programme ranked by the credits the account would bring (most first)."""
    body = conversions.ranking(db.session, principal(), path_uuid(account_id), query["as_of"], query["reason"])
    db.session.commit()
    return body


@blp.route("/accounts/<string:account_id>/conversions", methods=["POST"])
@requires(Role.INSTITUTION, Role.OPERATOR)
@blp.arguments(ApplyIn)
@blp.response(201, ConversionOut)
def apply_conversion(data: dict[str, Any], account_id: str) -> Any:
    """Apply the current best plan to an enrolment (a college allowed to read the account, or an operator).

    Stores the plan and writes a `conversion` entry; the same enrolment_ref twice for a programme is 409.
    """
    conv = conversion_store.apply(db.session, principal(), bank_did(), path_uuid(account_id), data["programme"],
                                  data["ruleset"], data["enrolment_ref"], data["reason"])
    body = conversion_store.view(conv)
    db.session.commit()
    return body


@blp.route("/accounts/<string:account_id>/conversions", methods=["GET"])
@requires(Role.LEARNER, Role.INSTITUTION, Role.OPERATOR)
@blp.response(200, ConversionOut(many=True))
def account_conversions(account_id: str) -> Any:
    """An account's conversions (learner: all of own; institution: those it applied; operator: all)."""
    return [conversion_store.view(c) for c in conversion_store.for_account(db.session, principal(),
                                                                         path_uuid(account_id))]


@blp.route("/conversions", methods=["GET"])
@requires(Role.INSTITUTION, Role.OPERATOR)
@blp.arguments(ConversionQuery, location="query")
@blp.response(200, ConversionOut(many=True))
def list_conversions(query: dict[str, Any]) -> Any:
    """Conversions the institution applied (operator: all); `flagged=true` is the work queue."""
    return [conversion_store.view(c) for c in conversion_store.queue(db.session, principal(), flagged=query["flagged"])]


@blp.route("/conversions/<string:conversion_id>", methods=["GET"])
@requires(Role.LEARNER, Role.INSTITUTION, Role.OPERATOR)
@blp.response(200, ConversionOut)
def get_conversion(conversion_id: str) -> Any:
    """One conversion (the learner, the applying institution, an operator)."""
    return conversion_store.view(conversion_store.get(db.session, principal(), path_uuid(conversion_id)))


@blp.route("/conversions/<string:conversion_id>/recheck", methods=["GET"])
@requires(Role.LEARNER, Role.INSTITUTION, Role.OPERATOR)
@blp.response(200, RecheckOut)
def recheck_conversion(conversion_id: str) -> Any:
    """A fresh plan and its diff against the stored one (lines lost, gained, changed; credit delta)."""
    return conversion_store.recheck(db.session, principal(), path_uuid(conversion_id))


@blp.route("/conversions/<string:conversion_id>:reapply", methods=["POST"])
@requires(Role.INSTITUTION, Role.OPERATOR)
@blp.arguments(ReapplyIn)
@blp.response(201, ConversionOut)
def reapply_conversion(data: dict[str, Any], conversion_id: str) -> Any:
    """Resolve a flagged conversion: a new conversion of the current plan superseding it (a log entry)."""
    conv = conversion_store.reapply(db.session, principal(), bank_did(), path_uuid(conversion_id),
                                    data["enrolment_ref"], data["reason"])
    body = conversion_store.view(conv)
    db.session.commit()
    return body
