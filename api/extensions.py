"""Flask extensions, created unbound here and bound to an app in `app.create_app`."""

from __future__ import annotations

from flask import request
from flask_alembic import Alembic
from flask_babel import Babel
from flask_limiter import Limiter
from flask_sqlalchemy_lite import SQLAlchemy

import ledger.models  # noqa: F401  (every table registered on Base.metadata before migrations look)
from ledger.db import Base

db = SQLAlchemy()
alembic = Alembic(metadatas=Base.metadata)
babel = Babel()


def _rate_key() -> str:
    principal = request.environ.get("creditbank.state", {}).get("principal")
    if principal is not None:
        return principal.actor_ref
    return request.remote_addr or "unknown"


limiter = Limiter(key_func=_rate_key)
