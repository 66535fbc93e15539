"""The HTTP edge: flask-smorest under /api/v1, auth, problem+json, pages and CLI commands."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from api import problems
from schemas.base import ProblemSchema


class CreditBankApi(Api):
    """flask-smorest's Api with RFC 9457 error bodies (and the Allow header kept on 405)."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        """Document every error response as `application/problem+json`, the type we actually send."""
        import http

        from flask_smorest.spec import prepare_response

        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, "application/problem+json")
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Error (RFC 9457 problem details)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, "application/problem+json")
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def handle_http_exception(self, error: HTTPException) -> Response:  # type: ignore[override]
        """Render every HTTP error as problem+json."""
        return problems.from_http_exception(error)


def api_spec_options() -> dict[str, Any]:
    """OpenAPI settings: 3.1, served at /api/v1/openapi.json, with the two security schemes."""
    return {
        "API_TITLE": "求学圆梦 credit bank",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {
            "info": {"description": "Lifelong learning accounts, signed records and a transparency log."},
            "components": {
                "securitySchemes": {
                    "apiKey": {"type": "http", "scheme": "bearer", "bearerFormat": "cb_<key id>_<secret>"},
                    "session": {"type": "apiKey", "in": "cookie", "name": "cb_session"},
                }
            },
        },
    }


def register(app: Flask) -> CreditBankApi:
    """Create the Api and register every blueprint."""
    from api import accounts, clients, conversions, docs, health, institutions, records, sessions, status
    from api import log as log_api
    from api import shares as shares_api
    from api import subsidies as subsidies_api
    from api import subsidy_pages as subsidy_pages_web
    from api import verify as verify_api

    app.config.update({k: v for k, v in api_spec_options().items() if k not in app.config})
    api = CreditBankApi(app)
    problems.install(app)
    for module in (clients, sessions, institutions, accounts, log_api, records, conversions, status, subsidies_api,
                   verify_api, shares_api):
        api.register_blueprint(module.blp)
    app.register_blueprint(health.bp)
    app.register_blueprint(subsidy_pages_web.bp)
    app.register_blueprint(docs.bp)
    app.register_blueprint(shares_api.page)
    return api
