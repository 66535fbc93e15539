"""Load and validate the conversion data files; each object keeps the sha256 of its file's bytes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError

from ledger.conversion.errors import DataFileError
from ledger.conversion.model import Agreement, Programme, RuleSet
from ledger.conversion.schemas import AgreementSchema, ProgrammeSchema, RuleSetSchema

DATA = Path(__file__).parent / "data"


def content_hash(data: bytes) -> str:
    """The content hash recorded with every conversion: sha256 of the exact file bytes."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages as {"rules.3.grant.mode": [...]}."""
    if isinstance(messages, dict):
        out: dict[str, list[str]] = {}
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            out.update(flatten(value, "" if key == "_schema" and not prefix else path))
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "$": list(messages)}
    return {prefix or "$": [str(messages)]}


def parse(data: bytes, schema: Schema, source: str) -> Any:
    """Decode and validate one data file's bytes; raise DataFileError naming the failing fields."""
    try:
        # Decimals stay exact: a JSON number such as 0.35 must never pass through a float.
        document = json.loads(data.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFileError(source, {"$": [f"not valid UTF-8 JSON: {exc}"]}) from exc
    try:
        loaded = schema.load(document)
    except ValidationError as exc:
        raise DataFileError(source, flatten(exc.messages)) from exc
    return replace(loaded, content_hash=content_hash(data))


def _load(path: Path | str, schema: Schema) -> Any:
    path = Path(path)
    return parse(path.read_bytes(), schema, path.name)


def load_ruleset(path: Path | str) -> RuleSet:
    """A rule set from its JSON file."""
    return _load(path, RuleSetSchema())  # type: ignore[no-any-return]


def load_programme(path: Path | str) -> Programme:
    """A programme from its JSON file."""
    return _load(path, ProgrammeSchema())  # type: ignore[no-any-return]


def load_agreement(path: Path | str) -> Agreement:
    """A mutual-recognition agreement from its JSON file."""
    return _load(path, AgreementSchema())  # type: ignore[no-any-return]


def default_rulesets() -> tuple[RuleSet, ...]:
    """The rule sets shipped with the project."""
    return tuple(load_ruleset(p) for p in sorted((DATA / "rulesets").glob("*.json")))


def default_programmes() -> tuple[Programme, ...]:
    """The programmes shipped with the project."""
    return tuple(load_programme(p) for p in sorted((DATA / "programmes").glob("*.json")))


def default_agreements() -> tuple[Agreement, ...]:
    """The mutual-recognition agreements shipped with the project."""
    return tuple(load_agreement(p) for p in sorted((DATA / "agreements").glob("*.json")))
