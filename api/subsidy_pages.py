"""Pages `/me/subsidies` (a worker's claims, each review step and payment) and `/union` (review console).

Self-contained until the site layout (web/, base.html) lands on main; the lead may move this to
web/subsidies.py. Pages read through the services; actions go to the JSON API with the session's CSRF token.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, render_template

from api.auth import current_principal, state
from api.extensions import db
from ledger.roles import Role
from ledger.subsidies import service
from ledger.subsidies.policies import get_policy

bp = Blueprint("subsidy_pages", __name__,
               template_folder=str(Path(__file__).resolve().parent.parent / "web" / "templates"))

STATUS_ZH = {"submitted": "审核中", "returned": "已退回修改", "approved": "已通过", "rejected": "未通过",
             "pending": "待发放", "paid": "已发放", "failed": "发放失败", "reissued": "已重新发放"}
ATTACHMENT_ZH = {"application_form": "申请表", "enrolment_report": "录取/注册报告", "id_card": "身份证",
                 "bank_account": "银行账户", "tuition_receipt": "学费收据", "diploma": "毕业证书",
                 "honour_certificate": "荣誉证书", "other": "其他"}
LEVEL_ZH = {"enterprise": "企业工会", "county": "县（市、区）总工会", "city": "市总工会", "province": "省总工会"}


def _view(claim: Any) -> dict[str, Any]:
    policy = get_policy(claim.policy_id)
    steps = []
    decided = {d.level: d for d in service.decisions(db.session, claim.id)}
    for i, level in enumerate(policy.review_levels):
        d = decided.get(level)
        if d is not None and (d.decision == "approve" or i < claim.level_index or claim.status != "submitted"):
            state_ = {"approve": "通过", "return": "退回修改", "reject": "不通过"}[d.decision]
        elif claim.status == "submitted" and i == claim.level_index:
            state_ = "审核中"
        else:
            state_ = "未开始"
        steps.append({"level": LEVEL_ZH.get(level, level), "state": state_, "reason": d.reason if d else None,
                      "at": d.decided_at if d else None})
    return {"claim": claim, "policy": policy, "steps": steps, "status_zh": STATUS_ZH.get(claim.status, claim.status),
            "payments": service.payment_status(db.session, claim),
            "funders": {f["id"]: f["name_zh"] for f in policy.funders},
            "attachments": service.attachments(db.session, claim.id),
            "missing": [ATTACHMENT_ZH.get(k, k) for k in service.missing_attachments(db.session, claim)]}


def _csrf() -> str:
    ws = state().get("web_session")
    return ws.csrf_token if ws is not None else ""


@bp.route("/me/subsidies")
def my_subsidies() -> Any:
    p = current_principal(optional=True)
    if p is None or not p.has(Role.LEARNER) or p.account_id is None:
        return render_template("subsidies/me.html", claims=None, policies=service.all_policies(), csrf=""), 401
    claims = [_view(c) for c in service.list_claims(db.session, p)]
    return render_template("subsidies/me.html", claims=claims, policies=service.all_policies(), csrf=_csrf(),
                           account=p.account_id, status_zh=STATUS_ZH)


@bp.route("/union")
def union_console() -> Any:
    p = current_principal(optional=True)
    if p is None or not p.has(Role.UNION, Role.OPERATOR):
        return render_template("subsidies/union.html", claims=None, csrf=""), 401
    claims = [_view(c) for c in service.list_claims(db.session, p)]
    return render_template("subsidies/union.html", claims=claims, csrf=_csrf(), status_zh=STATUS_ZH)


@bp.route("/subsidies/<string:policy_id>/notice")
def public_notice(policy_id: str) -> Any:
    """公示 page (public): approved claims with masked names and IDs, grouped by district and batch."""
    from flask import request

    from api.context import keyring

    policy = get_policy(policy_id)
    district, batch = request.args.get("district") or None, request.args.get("batch") or None
    rows = service.notice(db.session, keyring(), policy.id, district=district, batch=batch)
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["district"], row["district_name"], row["batch"]), []).append(row)
    db.session.commit()
    return render_template("subsidies/notice.html", policy=policy, groups=groups, total=len(rows), csrf="",
                           district=district, batch=batch, quotas=policy.quotas, batches=policy.batches)
