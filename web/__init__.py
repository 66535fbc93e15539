"""Server-rendered pages (zh-CN first, English on request): landing, login, /me, /verify, /console, /operator.

Views are thin: they call the ledger services with the logged-in person's Principal and render the result.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/static/web")

LANG_COOKIE = "cb_lang"
LOCALES = {"zh": "zh_Hans_CN", "en": "en"}


def select_locale() -> str:
    """The page language: the cb_lang cookie first, then Accept-Language, default zh_Hans_CN."""
    from flask import request

    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LOCALES:
        return LOCALES[chosen]
    best = request.accept_languages.best_match(["zh_Hans_CN", "zh_CN", "zh", "en"])
    if best and best.startswith("en"):
        return "en"
    return "zh_Hans_CN"


def register(app: Flask) -> None:
    """Attach the pages to the app."""
    from web import views  # noqa: F401 — the routes register on bp

    app.register_blueprint(bp)
