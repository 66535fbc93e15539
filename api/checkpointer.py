"""A background thread per process that signs checkpoints on the configured cadence."""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa
from flask import Flask

from api.context import log_signer
from api.extensions import db
from ledger.log.checkpoints import sign_if_due


def _loop(app: Flask, stop: threading.Event) -> None:
    interval = float(app.config["CHECKPOINT_INTERVAL"])
    while not stop.wait(interval):
        try:
            with app.app_context():
                signer = log_signer()
                with db.sessionmaker() as session:
                    sign_if_due(session, signer, min_interval=interval)
        except sa.exc.OperationalError:
            # Tables not there yet (before the first migration) or the database is briefly away.
            time.sleep(interval)
        except Exception:  # noqa: BLE001 — a signer must never die; the error is logged and retried
            app.logger.exception("checkpoint signing failed")


def start(app: Flask) -> threading.Event | None:
    """Start the signer thread when CHECKPOINT_THREAD is on; returns its stop event."""
    if not app.config["CHECKPOINT_THREAD"]:
        return None
    stop = threading.Event()
    threading.Thread(target=_loop, args=(app, stop), name="checkpointer", daemon=True).start()
    app.extensions["creditbank.checkpointer"] = stop
    return stop
