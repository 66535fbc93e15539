"""`/api/v1/log/…`: the public transparency log — checkpoint, key, proofs, entries (DESIGN.md §3)."""

from __future__ import annotations

import base64
import json
from typing import Any

import sqlalchemy as sa
from flask import Response, current_app
from flask_smorest import Blueprint

from api.context import log_signer
from api.extensions import db
from ledger.documents import EntryDocument
from ledger.errors import NotFound
from ledger.log import checkpoints, proofs
from ledger.log.models import LogEntry, SignedCheckpoint
from schemas.log import (
    CheckpointOut,
    CheckpointsQuery,
    ConsistencyOut,
    ConsistencyQuery,
    EntriesOut,
    EntryOut,
    InclusionOut,
    InclusionQuery,
    RangeQuery,
)

blp = Blueprint("log", __name__, url_prefix="/api/v1/log", description="The public transparency log")

TEXT = "text/plain; charset=utf-8"


def _interval() -> float:
    return float(current_app.config["CHECKPOINT_INTERVAL"])


def _entry_json(row: LogEntry, documents: dict[int, dict[str, Any]]) -> dict[str, Any]:
    env = json.loads(row.leaf)
    return {"index": row.index, "leaf_b64": base64.b64encode(row.leaf).decode(),
            "leaf_hash_b64": base64.b64encode(row.leaf_hash).decode(), "kind": env["kind"], "time": env["time"],
            "issuer": env["issuer"], "subject": env["subject"], "digest": env["digest"],
            "document": documents.get(row.index)}


def _documents(indexes: list[int]) -> dict[int, dict[str, Any]]:
    rows = db.session.execute(sa.select(EntryDocument.entry_index, EntryDocument.document)
                              .where(EntryDocument.entry_index.in_(indexes)))
    return {i: d for i, d in rows}


@blp.route("/checkpoint", methods=["GET"])
@blp.response(200, content_type=TEXT, description="The latest signed checkpoint (C2SP tlog-checkpoint note)")
def checkpoint() -> Response:
    """The latest signed checkpoint; one is signed first if the log grew and the interval has passed."""
    # Lazy cadence: readers get a fresh checkpoint even where no background signer runs.
    checkpoints.sign_if_due(db.session, log_signer(), min_interval=_interval())
    cp = checkpoints.latest_checkpoint(db.session)
    if cp is None:
        raise NotFound("the log is empty: no checkpoint yet", "日志为空，尚无检查点")
    resp = Response(cp.note, mimetype="text/plain")
    resp.headers["Content-Type"] = TEXT
    resp.headers["Cache-Control"] = "public, max-age=1"
    return resp


@blp.route("/key", methods=["GET"])
@blp.response(200, content_type=TEXT, description="The checkpoint verifier key (name+keyid+base64)")
def key() -> Response:
    """The verifier key of the log, for x/mod sumdb/note and other C2SP verifiers."""
    resp = Response(log_signer().verifier.key_string() + "\n", mimetype="text/plain")
    resp.headers["Content-Type"] = TEXT
    resp.headers["Cache-Control"] = "public, max-age=300"
    return resp


@blp.route("/proof/inclusion", methods=["GET"])
@blp.arguments(InclusionQuery, location="query")
@blp.response(200, InclusionOut)
def inclusion(args: dict[str, Any]) -> dict[str, Any]:
    """Inclusion proof of entry `index` in the tree of `tree_size` (default: the latest checkpoint)."""
    if args["wait"] and args["tree_size"] is None:
        db.session.commit()
        checkpoints.wait_for_checkpoint(db.sessionmaker, log_signer(), args["index"] + 1,
                                        min_interval=_interval(), timeout=args["wait"])
    return proofs.inclusion_proof(db.session, args["index"], args["tree_size"])


@blp.route("/proof/consistency", methods=["GET"])
@blp.arguments(ConsistencyQuery, location="query")
@blp.response(200, ConsistencyOut)
def consistency(args: dict[str, Any]) -> dict[str, Any]:
    """Consistency proof between two tree sizes (both at most the latest checkpoint)."""
    return proofs.consistency_proof(db.session, args["old_size"], args["new_size"])


@blp.route("/entries/<int:index>", methods=["GET"])
@blp.response(200, EntryOut)
def entry(index: int) -> dict[str, Any]:
    """One entry: exact leaf bytes and public metadata."""
    return _entry_json(proofs.entry_row(db.session, index), _documents([index]))


@blp.route("/entries", methods=["GET"])
@blp.arguments(RangeQuery, location="query")
@blp.response(200, EntriesOut)
def entries(args: dict[str, Any]) -> dict[str, Any]:
    """Up to 1,000 entries, start ≤ index < end, for auditors."""
    rows = proofs.entries_range(db.session, args["start"], args["end"])
    docs = _documents([r.index for r in rows])
    return {"entries": [_entry_json(r, docs) for r in rows]}


@blp.route("/checkpoints", methods=["GET"])
@blp.arguments(CheckpointsQuery, location="query")
@blp.response(200, CheckpointOut(many=True))
def archived(args: dict[str, Any]) -> Any:
    """Every checkpoint the bank signed, newest first (for monitors and witnesses)."""
    stmt = sa.select(SignedCheckpoint).order_by(SignedCheckpoint.size.desc()).limit(args["limit"])
    if args["before_size"]:
        stmt = stmt.where(SignedCheckpoint.size < args["before_size"])
    return list(db.session.scalars(stmt))
