"""`GET /healthz`: the process is up and the database answers."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, jsonify

from api.extensions import db
from api.problems import problem

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """200 when the database answers a query, 503 otherwise."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return problem(503, "database unreachable", detail_zh="数据库无法访问", code="db-down")
    return jsonify({"status": "ok", "database": db.engine.dialect.name})
