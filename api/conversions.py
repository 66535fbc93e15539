"""`/api/v1/programmes`, `/api/v1/rulesets`, `/api/v1/agreements`: the published conversion catalogue."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from api.auth import principal, requires
from api.extensions import db
from api.ids import path_uuid
from ledger import conversions
from ledger.roles import Role
from schemas.conversions import (
    AgreementOut,
    PlanOut,
    PreviewIn,
    ProgrammeOut,
    RankingOut,
    RankQuery,
    RuleSetOut,
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
    """Every published rule set version: id, version, style, effective dates, scope, content hash."""
    return conversions.list_rulesets()


@blp.route("/rulesets/<string:ruleset_id>", methods=["GET"])
@blp.response(200, RuleSetOut)
def get_ruleset(ruleset_id: str) -> Any:
    """One rule set version with its rules, caps and sources."""
    return conversions.get_ruleset(ruleset_id)


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
