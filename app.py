"""`create_app(config=None)`: configuration, extensions, blueprints, CLI, error map. Nothing at import time."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, request

DEFAULTS: dict[str, Any] = {
    # development | production | testing. Production refuses unsafe settings at start.
    "ENV": "development",
    "SECRET_KEY": None,
    # 32 random bytes, base64: seals private keys and personal data at rest (AES-GCM).
    "MASTER_KEY": None,
    # Old master keys still accepted for opening sealed values during a rotation (list of base64 keys).
    "OLD_MASTER_KEYS": [],
    "DATABASE_URL": None,
    "PUBLIC_URL": "http://127.0.0.1:8000",
    # The log's origin line and checkpoint key name (C2SP): schema-less URL, no spaces, no '+'.
    "LOG_ORIGIN": "creditbank.localhost/ledger",
    "CHECKPOINT_INTERVAL": 1.0,
    "CHECKPOINT_THREAD": True,
    "DEMO": False,
    "PASSWORD_HASH_PROFILE": "default",
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_DEFAULT": "600 per minute",
    "RATELIMIT_HEADERS_ENABLED": True,
    "LOGIN_RATE_LIMIT": "10 per minute",
    "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
    "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
    "BABEL_TRANSLATION_DIRECTORIES": "translations",
}

_UNSAFE_SECRET_VALUES = {None, "", "dev", "changeme", "secret"}


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the service refuses to start."""


def _instance_secrets(app: Flask) -> dict[str, str]:
    """Development secrets generated once into instance/secrets.json (never committed, mode 0600)."""
    from credentials.sealing import new_master_key

    path = Path(app.instance_path) / "secrets.json"
    if path.exists():
        data: dict[str, str] = json.loads(path.read_text())
    else:
        data = {}
    changed = False
    for key, make in (("SECRET_KEY", lambda: os.urandom(32).hex()), ("MASTER_KEY", new_master_key)):
        if key not in data:
            data[key] = make()
            changed = True
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=1)
    return data


def check_config(config: Mapping[str, Any]) -> None:
    """Fail fast on settings that would be unsafe in production."""
    from credentials.sealing import decode_master_key

    problems = []
    if config["ENV"] not in {"development", "production", "testing"}:
        problems.append("CREDITBANK_ENV must be development, production or testing")
    if config["MASTER_KEY"] in _UNSAFE_SECRET_VALUES:
        problems.append("CREDITBANK_MASTER_KEY is required (base64 of 32 random bytes)")
    else:
        try:
            decode_master_key(str(config["MASTER_KEY"]))
        except Exception as e:  # noqa: BLE001 — any decoding failure means the same thing here
            problems.append(f"CREDITBANK_MASTER_KEY is unusable: {e}")
    origin = str(config["LOG_ORIGIN"])
    if not origin or any(c.isspace() for c in origin) or "+" in origin:
        problems.append("CREDITBANK_LOG_ORIGIN must be non-empty, without spaces or '+'")
    if config["ENV"] == "production":
        if config["SECRET_KEY"] in _UNSAFE_SECRET_VALUES or len(str(config["SECRET_KEY"])) < 32:
            problems.append("CREDITBANK_SECRET_KEY must be set to a long random value in production")
        if not str(config["PUBLIC_URL"]).startswith("https://"):
            problems.append("CREDITBANK_PUBLIC_URL must be https:// in production")
        if config.get("DEBUG"):
            problems.append("debug mode is not allowed in production")
        if config["DEMO"]:
            problems.append("demo data is not allowed in production")
        if config["PASSWORD_HASH_PROFILE"] != "default":
            problems.append("weak password hashing is not allowed in production")
        if str(config["RATELIMIT_STORAGE_URI"]).startswith("memory://"):
            problems.append("rate limits need shared storage (e.g. redis://) in production")
    if problems:
        raise ConfigError("unsafe or incomplete configuration:\n- " + "\n- ".join(problems))


def _configure(app: Flask, config: Mapping[str, Any] | None) -> None:
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("CREDITBANK")
    if config:
        app.config.from_mapping(config)
    if app.config["ENV"] != "production":
        for key, value in _instance_secrets(app).items():
            if app.config.get(key) in _UNSAFE_SECRET_VALUES:
                app.config[key] = value
    if not app.config["DATABASE_URL"]:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["DATABASE_URL"] = "sqlite:///" + os.path.join(app.instance_path, "creditbank.db")
    app.config["SQLALCHEMY_ENGINES"] = {"default": app.config["DATABASE_URL"]}
    app.config.setdefault("ALEMBIC", {})["script_location"] = str(Path(__file__).parent / "ledger" / "migrations")
    app.config["TESTING"] = app.config["ENV"] == "testing" or bool(app.config.get("TESTING"))
    app.config["SESSION_COOKIE_SECURE"] = str(app.config["PUBLIC_URL"]).startswith("https://")
    check_config(app.config)


def _install_cookies(app: Flask) -> None:
    from api.auth import SESSION_COOKIE, state
    from ledger.people import SESSION_MAX

    @app.after_request
    def _session_cookie(resp: Response) -> Response:
        st = state()
        token = st.get("set_session_cookie")
        if token:
            resp.set_cookie(SESSION_COOKIE, token, max_age=int(SESSION_MAX.total_seconds()), httponly=True,
                            samesite="Lax", secure=app.config["SESSION_COOKIE_SECURE"], path="/")
        elif st.get("clear_session_cookie"):
            resp.delete_cookie(SESSION_COOKIE, path="/")
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.path.startswith("/api/"):
            resp.headers.setdefault("Cache-Control", "no-store")
        return resp


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the credit bank application."""
    import api
    import web
    from api import checkpointer, cli
    from api.extensions import alembic, babel, db, limiter
    from ledger.db import configure_engine
    from ledger.keyring import Keyring
    from ledger.people import password_hasher

    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get("CREDITBANK_INSTANCE_PATH") or None
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    _configure(app, config)

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    alembic.init_app(app)
    from web import select_locale

    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    app.extensions["creditbank.hasher"] = password_hasher(app.config["PASSWORD_HASH_PROFILE"])
    app.extensions["creditbank.keyring"] = Keyring.from_config(app.config["MASTER_KEY"], app.config["OLD_MASTER_KEYS"])

    api.register(app)
    web.register(app)
    _install_cookies(app)
    cli.register(app)
    checkpointer.start(app)
    return app
