"""Vendored JSON-LD context documents and an offline document loader that serves only them."""

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

from credentials.errors import CanonicalisationError

# Contexts are signing input: fetching one at run time would let whoever answers at that URL change
# what a signature means, so only the files listed in index.json are ever served.
_INDEX_FILE = "index.json"


@cache
def _index() -> dict[str, str]:
    """URL -> file name, read once from index.json."""
    raw = resources.files(__name__).joinpath(_INDEX_FILE).read_text("utf-8")
    index = json.loads(raw)
    if not isinstance(index, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in index.items()
    ):
        raise CanonicalisationError("contexts/index.json must map URL strings to file names")
    return index


@cache
def _parsed(url: str) -> dict[str, Any]:
    """The parsed document for a known URL; parsed once, never handed out without a copy."""
    name = _index().get(url)
    if name is None:
        raise CanonicalisationError(f"offline loader: no document for {url}")
    document = json.loads(resources.files(__name__).joinpath(name).read_text("utf-8"))
    if not isinstance(document, dict) or "@context" not in document:
        raise CanonicalisationError(f"vendored context {name} is not a JSON-LD context document")
    return document


def urls() -> list[str]:
    """Every context URL the loader serves, sorted."""
    return sorted(_index())


def load(url: str) -> dict[str, Any]:
    """A fresh copy of the vendored context document for `url`; raises CanonicalisationError if unknown."""
    # A copy, because pyld (and callers) may mutate what they are given and the cache must stay exact.
    return copy.deepcopy(_parsed(url))


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld-shaped document loader over the vendored contexts; refuses every other URL."""
    return {
        "contextUrl": None,
        "documentUrl": url,
        "document": load(url),
        # "static" lets pyld's context resolver keep the processed context across calls.
        "tag": "static",
    }
