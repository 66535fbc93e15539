"""`/api/v1/docs`: a browsable page of the OpenAPI document, rendered on the server (no CDN scripts)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

bp = Blueprint("docs", __name__, template_folder="templates")


@bp.get("/api/v1/docs")
def docs() -> str:
    """Every operation with its parameters, body and responses."""
    spec = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
    return render_template("api_docs.html", spec=spec)
