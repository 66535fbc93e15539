"""Canonical bytes for signing: JCS (RFC 8785) and RDFC-1.0 canonical N-Quads of a JSON-LD document.

`rdfc` gives what `pyld.jsonld.normalize(doc, {"algorithm": "URDNA2015", "format":
"application/n-quads"})` gives with the vendored contexts, about seven times faster (0.2 ms against
1.5 ms for an OB credit record, bench/bench_canon.py):

1. JSON-LD expansion (most of pyld's time, all of it spent on the large VC/OB contexts) depends
   only on the document's *shape*: its keys, `@context`, `type` values and JSON structure. So the
   document's scalar values are swapped for unique placeholder IRIs, that template is expanded
   once per shape with pyld, and later documents of the same shape get their values put back into
   the cached expansion. A placeholder is put back only where pyld provably copies the value
   unchanged (`@value`, or `@id` for an absolute IRI no context prefix can rewrite); any other
   document is expanded by pyld itself.
2. Expanded documents that use only node objects, types, graphs and plain literals go to
   pyoxigraph's JSON-LD reader, with numbers and booleans pre-written as the exact typed literals
   pyld would make; anything else (@list, @json, @direction, …) goes through pyld's own RDF step.
3. pyoxigraph (Rust) labels the blank nodes with RDFC-1.0 and writes the N-Quads.

One deliberate difference: where a quad names the same blank node twice (`"id": "_:x"` and
`"issuer": "_:x"`), pyld 3.3 files that quad twice and so labels differently from RDFC-1.0 and
rdf-canonize (what JavaScript verifiers use); `rdfc` follows RDFC-1.0.

It also refuses what pyld would silently drop or what JavaScript verifiers would read differently,
because a signed-but-dropped field is a lie: undefined terms and types, relative IRIs, unknown
keyword-like keys, inline `@context` objects, control characters other than tab/LF/CR (pyld and
rdf-canonize escape them differently), lone surrogates, non-finite floats and integers outside
JavaScript's safe range.
"""

import json
import math
import re
import threading
from collections import OrderedDict
from functools import cache
from typing import Any

import pyoxigraph as ox
import rfc8785
from cachetools import LRUCache
from pyld import jsonld, nquads
from pyld.context_resolver import ContextResolver
from pyld.identifier_issuer import IdentifierIssuer

from credentials import contexts
from credentials.errors import CanonicalisationError

JsonValue = Any

# Any term no context defines expands under this @vocab, where it is easy to spot and refuse.
_UNDEFINED = "urn:x-creditbank:undefined-term:"
# Placeholder IRIs for a template's scalar leaves; the letter records the JSON type.
_LEAF = "urn:x-creditbank:leaf:"
_MAX_SAFE_INTEGER = 2**53 - 1
# pyld writes these raw while rdf-canonize (JavaScript verifiers) escapes them: refuse rather than differ.
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# pyld's own test for an absolute IRI (jsonld._is_absolute_iri), so our checks agree with its output.
_ABSOLUTE_IRI = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")
_KEYWORDS = frozenset(
    "@base @container @context @direction @graph @id @import @included @index @json @language @list "
    "@nest @none @prefix @propagate @protected @reverse @set @type @value @version @vocab".split()
)
# Keys whose values steer expansion itself, so templates keep their values as they are (plus every
# term whose values are vocabulary terms, `"@type": "@vocab"`, such as proofPurpose).
_SHAPE_KEYS = frozenset({"@context", "type", "@type"})
_SHAPE_CACHE_SIZE = 512
_RDF_OPTIONS = {"processingMode": "json-ld-1.1", "produceGeneralizedRdf": False, "rdfDirection": None}


def jcs(obj: JsonValue) -> bytes:
    """RFC 8785 JSON Canonicalization Scheme bytes of `obj`; raises CanonicalisationError."""
    try:
        return rfc8785.dumps(obj)
    except (rfc8785.CanonicalizationError, TypeError, ValueError, UnicodeError) as exc:
        raise CanonicalisationError(f"cannot JCS-canonicalise: {exc}") from exc


def rdfc(document: dict[str, Any]) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document, using only vendored contexts."""
    if not isinstance(document, dict):
        raise CanonicalisationError("a JSON-LD document to canonicalise must be a JSON object")
    leaves: list[JsonValue] = []
    template = _template(document, leaves, top=True)
    expanded = _SHAPES.expand(template, leaves)
    if expanded is None:
        expanded = _expand(document)
        _check_expanded(expanded)
    return _canonical_nquads(_rdf_dataset(expanded))


# --- input checks and templates ---------------------------------------------------------------


def _check_string(text: str) -> None:
    match = _BAD_CHARS.search(text)
    if match:
        raise CanonicalisationError(f"string contains an unsupported character U+{ord(match.group()):04X}")


def _check_context(value: JsonValue) -> None:
    entries = value if isinstance(value, list) else [value]
    # Inline context objects could redefine or hide terms (even "@vocab": null); only URLs of
    # vendored documents are allowed, and the loader refuses the rest.
    if not entries or not all(isinstance(entry, str) for entry in entries):
        raise CanonicalisationError("@context must be a URL or a list of URLs of vendored contexts")


def _template(value: JsonValue, leaves: list[JsonValue], top: bool = False) -> JsonValue:
    """Check `value` and return it with every scalar leaf outside the shape keys replaced by a placeholder."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalisationError("JSON object keys must be strings")
            _check_string(key)
            if key.startswith("@") and key not in _KEYWORDS:
                raise CanonicalisationError(f"unknown keyword-like key {key!r} (pyld would drop it)")
            if key == "@context":
                _check_context(item)
            if key in _shape_keys() or (key.startswith("@") and key not in ("@id", "@value")):
                _check_plain(item)
                out[key] = item
            else:
                out[key] = _template(item, leaves)
        if top and "@context" not in value:
            raise CanonicalisationError("document has no @context")
        return out
    if isinstance(value, list):
        return [_template(item, leaves) for item in value]
    if value is None:
        return None
    kind = _check_scalar(value)
    leaves.append(value)
    return f"{_LEAF}{kind}{len(leaves) - 1}"


def _check_plain(value: JsonValue) -> None:
    """Check a value that a template keeps as it is."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalisationError("JSON object keys must be strings")
            _check_string(key)
            if key == "@context":
                _check_context(item)
            _check_plain(item)
    elif isinstance(value, list):
        for item in value:
            _check_plain(item)
    elif value is not None:
        _check_scalar(value)


def _check_scalar(value: JsonValue) -> str:
    """Validate a JSON scalar and return its kind letter."""
    if isinstance(value, str):
        _check_string(value)
        return "s"
    if isinstance(value, bool):
        return "b"
    if isinstance(value, int):
        # JavaScript verifiers parse JSON numbers as doubles: a larger integer would reach them changed.
        if abs(value) > _MAX_SAFE_INTEGER:
            raise CanonicalisationError(f"integer {value} is outside JavaScript's safe range")
        return "i"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CanonicalisationError("NaN and infinite numbers are not JSON")
        return "f"
    raise CanonicalisationError(f"not a JSON value: {type(value).__name__}")


# --- expansion ----------------------------------------------------------------------------------

# pyld's context caches are plain LRU dicts: one lock keeps threads from corrupting them. The
# resolver cache is ours, not pyld's global one, so no other pyld user can change our contexts.
_PYLD_LOCK = threading.Lock()
_RESOLVED_CONTEXTS: LRUCache = LRUCache(maxsize=100)


def _expand(document: dict[str, Any]) -> list[Any]:
    """pyld expansion with the vendored contexts and the undefined-term @vocab put first."""
    context = document["@context"]
    probe = dict(document)
    probe["@context"] = [{"@vocab": _UNDEFINED}, *(context if isinstance(context, list) else [context])]
    options = {
        "documentLoader": contexts.document_loader,
        "contextResolver": ContextResolver(_RESOLVED_CONTEXTS, contexts.document_loader),
        # No base: a relative IRI stays relative (and is refused) instead of pyld resolving it
        # against http://example.org/base/, which JavaScript processors do not do.
        "base": None,
    }
    try:
        with _PYLD_LOCK:
            return jsonld.expand(probe, options)
    except jsonld.JsonLdError as exc:
        raise CanonicalisationError(_root_message(exc)) from exc


def _root_message(exc: BaseException) -> str:
    """The most specific message in an exception chain (our loader's refusal, if that was the cause)."""
    cause: BaseException | None = exc
    last = str(exc)
    while cause is not None:
        if isinstance(cause, CanonicalisationError):
            return str(cause)
        message = getattr(cause, "message", None) or str(cause)
        last = message or last
        cause = cause.__cause__ or cause.__context__
    return f"JSON-LD error: {last}"


def _check_iri(iri: Any, what: str) -> None:
    if not isinstance(iri, str) or not _ABSOLUTE_IRI.match(iri):
        raise CanonicalisationError(f"relative or invalid IRI {iri!r} in {what} (it would be dropped)")
    if iri.startswith(_UNDEFINED):
        raise CanonicalisationError(
            f"term {iri[len(_UNDEFINED) :]!r} ({what}) is not defined by any @context; "
            "it would be dropped and go unsigned"
        )


def _check_expanded(node: Any) -> None:
    """Refuse undefined terms/types and relative IRIs in an expanded document."""
    if isinstance(node, list):
        for item in node:
            _check_expanded(item)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "@value":
            continue  # literal content (possibly @json), not IRIs
        if key == "@id":
            _check_iri(value, "@id")
        elif key == "@type":
            for iri in value if isinstance(value, list) else [value]:
                if iri != "@json":
                    _check_iri(iri, "type")
        elif not key.startswith("@"):
            _check_iri(key, "property")
            _check_expanded(value)
        else:
            _check_expanded(value)


# --- the shape cache ------------------------------------------------------------------------------


def _term_definitions() -> list[tuple[str, Any]]:
    """(term, definition) for every term any vendored context defines, in any scope."""
    found: list[tuple[str, Any]] = []

    def walk(ctx: Any) -> None:
        if isinstance(ctx, list):
            for item in ctx:
                walk(item)
        elif isinstance(ctx, dict):
            for key, definition in ctx.items():
                if not key.startswith("@"):
                    found.append((key, definition))
                if isinstance(definition, dict) and "@context" in definition:
                    walk(definition["@context"])

    for url in contexts.urls():
        walk(contexts.load(url)["@context"])
    return found


@cache
def _all_terms() -> frozenset[str]:
    """Every term or prefix any vendored context defines, in any scope."""
    return frozenset(term for term, _ in _term_definitions())


@cache
def _shape_keys() -> frozenset[str]:
    """Keys a template keeps verbatim: the expansion-steering ones and every @vocab-typed term."""
    vocab_typed = {
        term
        for term, definition in _term_definitions()
        if isinstance(definition, dict) and definition.get("@type") == "@vocab"
    }
    return _SHAPE_KEYS | vocab_typed


def _passes_through(value: Any) -> bool:
    """True if pyld's IRI expansion returns this string unchanged whatever the active context."""
    if not isinstance(value, str) or value in _all_terms() or not _ABSOLUTE_IRI.match(value):
        return False
    prefix, _, suffix = value.partition(":")
    return prefix == "_" or suffix.startswith("//") or prefix not in _all_terms()


class _Miss(Exception):
    """This document's values cannot be put into its shape's cached expansion."""


class _Shape:
    """A template's expansion plus where each placeholder went."""

    def __init__(self, expanded: list[Any], id_slots: frozenset[int]) -> None:
        self.expanded = expanded
        self.id_slots = id_slots

    def fill(self, leaves: list[JsonValue]) -> list[Any]:
        """A fresh expanded document with this document's values in place of the placeholders."""
        prefix_len = len(_LEAF) + 1
        id_slots = self.id_slots

        def copy(node: Any) -> Any:
            if isinstance(node, dict):
                return {k: copy(v) for k, v in node.items()}
            if isinstance(node, list):
                return [copy(v) for v in node]
            if isinstance(node, str) and node.startswith(_LEAF):
                index = int(node[prefix_len:])
                value = leaves[index]
                if index in id_slots and not _passes_through(value):
                    raise _Miss
                return value
            return node

        return copy(self.expanded)


def _analyse(expanded: list[Any], leaf_count: int) -> _Shape | None:
    """A _Shape if every placeholder sits exactly once where pyld copies values unchanged, else None."""
    seen: dict[int, str] = {}
    ok = True

    def visit(node: Any, parent: dict[str, Any] | None, key: str | None) -> None:
        nonlocal ok
        if isinstance(node, dict):
            for k, v in node.items():
                visit(v, node, k)
        elif isinstance(node, list):
            for v in node:
                visit(v, None, None)
        elif isinstance(node, str) and node.startswith(_LEAF):
            kind, index = node[len(_LEAF)], int(node[len(_LEAF) + 1 :])
            if index in seen or parent is None or key not in ("@id", "@value"):
                ok = False
                return
            # A number or boolean in a string placeholder's place: fine only as a plain @value,
            # where pyld keeps any JSON scalar as is (no IRI expansion, no language tag).
            if kind != "s" and (key != "@value" or "@language" in parent or "@direction" in parent):
                ok = False
                return
            seen[index] = key

    visit(expanded, None, None)
    if not ok or len(seen) != leaf_count:
        return None
    return _Shape(expanded, frozenset(i for i, where in seen.items() if where == "@id"))


class _ShapeCache:
    """Bounded LRU of shape -> cached expansion (or None when that shape cannot be cached)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[str, _Shape | None] = OrderedDict()
        self._lock = threading.Lock()

    def expand(self, template: dict[str, Any], leaves: list[JsonValue]) -> list[Any] | None:
        """The document's expansion from its shape's cache entry, or None to expand it directly."""
        key = json.dumps(template, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                shape = self._entries[key]
            else:
                shape = self._learn(key, template, len(leaves))
        if shape is None:
            return None
        try:
            return shape.fill(leaves)
        except _Miss:
            return None

    def _learn(self, key: str, template: dict[str, Any], leaf_count: int) -> _Shape | None:
        # Placeholders must not collide with strings the template keeps as they are.
        shape = None
        if _LEAF not in _kept_text(template):
            expanded = _expand(template)
            # Undefined terms/types are refused here; they do not depend on the values left out.
            _check_expanded(_without_placeholder_ids(expanded))
            shape = _analyse(expanded, leaf_count)
        self._entries[key] = shape
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return shape


def _kept_text(template: Any) -> str:
    """All strings of a template that are not placeholders, joined (for a collision check)."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                parts.append(k)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, str) and not _is_placeholder(node):
            parts.append(node)

    walk(template)
    return "\n".join(parts)


def _is_placeholder(text: str) -> bool:
    return (
        text.startswith(_LEAF)
        and text[len(_LEAF) : len(_LEAF) + 1] in "sifb"
        and text[len(_LEAF) + 1 :].isdigit()
    )


def _without_placeholder_ids(node: Any) -> Any:
    """The expanded template with placeholder @ids left out of the IRI check (their values are checked on fill)."""
    if isinstance(node, list):
        return [_without_placeholder_ids(v) for v in node]
    if isinstance(node, dict):
        return {
            k: _without_placeholder_ids(v)
            for k, v in node.items()
            if not (k == "@id" and isinstance(v, str) and v.startswith(_LEAF))
        }
    return node


_SHAPES = _ShapeCache(_SHAPE_CACHE_SIZE)


# --- RDF and canonical N-Quads ----------------------------------------------------------------------

_XSD = "http://www.w3.org/2001/XMLSchema#"
# Expanded-form keys whose RDF meaning pyoxigraph's JSON-LD reader gives exactly as pyld does; a
# document using any other (@list, @json, @direction, @index, @reverse, @included…) goes through pyld.
_PLAIN_KEYS = frozenset({"@id", "@type", "@graph"})


class _NotPlain(Exception):
    """The expanded document uses a construct left to pyld's own JSON-LD -> RDF step."""


def _rdf_dataset(expanded: list[Any]) -> ox.Dataset:
    """The document's RDF: pyoxigraph reads plain documents directly, pyld converts the rest."""
    try:
        try:
            text = json.dumps(_plain(expanded), ensure_ascii=False)
            return ox.Dataset(ox.parse(text, ox.RdfFormat.JSON_LD))
        except _NotPlain:
            return ox.Dataset(ox.parse(nquads.serialize_nquads(_pyld_to_rdf(expanded)), ox.RdfFormat.N_QUADS))
    except (ValueError, SyntaxError) as exc:
        raise CanonicalisationError(f"cannot build RDF: {exc}") from exc


def _plain(node: Any) -> Any:
    """A copy with every number and boolean written as the typed literal pyld would make of it."""
    if isinstance(node, list):
        return [_plain(item) for item in node]
    if not isinstance(node, dict):
        raise _NotPlain
    if "@value" in node:
        return _literal(node)
    out = {}
    for key, value in node.items():
        if key.startswith("@"):
            if key not in _PLAIN_KEYS:
                raise _NotPlain
            out[key] = _plain(value) if key == "@graph" else value
        else:
            out[key] = _plain(value)
    return out


def _literal(node: dict[str, Any]) -> dict[str, Any]:
    """pyld's value-object -> literal rules (jsonld._object_to_rdf), as a typed JSON-LD value object."""
    if not node.keys() <= {"@value", "@type", "@language"}:
        raise _NotPlain
    value, datatype = node["@value"], node.get("@type")
    if datatype == "@json":
        raise _NotPlain
    if isinstance(value, str):
        return node
    if isinstance(value, bool):
        return {"@value": "true" if value else "false", "@type": datatype or _XSD + "boolean"}
    integral = isinstance(value, int) or float(value).is_integer()
    if not integral or datatype == _XSD + "double" or abs(value) >= 1e21:
        return {"@value": jsonld._canonicalize_double(float(value)), "@type": datatype or _XSD + "double"}
    return {"@value": str(int(value)), "@type": datatype or _XSD + "integer"}


def _pyld_to_rdf(expanded: list[Any]) -> dict[str, list[dict[str, Any]]]:
    """pyld's JSON-LD -> RDF step on an already expanded document (what jsonld.to_rdf does after expanding)."""
    processor = jsonld.JsonLdProcessor()
    issuer = IdentifierIssuer("_:b")
    node_map: dict[str, Any] = {"@default": {}}
    try:
        processor._create_node_map(expanded, node_map, "@default", issuer)
        dataset = {}
        for graph_name, graph in sorted(node_map.items()):
            if graph_name == "@default" or _ABSOLUTE_IRI.match(graph_name):
                dataset[graph_name] = processor._graph_to_rdf(graph, issuer, _RDF_OPTIONS)
    except jsonld.JsonLdError as exc:
        raise CanonicalisationError(_root_message(exc)) from exc
    return dataset


def _canonical_nquads(dataset: ox.Dataset) -> str:
    """RDFC-1.0 canonical N-Quads: pyoxigraph labels the blank nodes and writes the lines."""
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    text = (ox.serialize(dataset, format=ox.RdfFormat.N_QUADS) or b"").decode("utf-8")
    # Code-point order of the lines, as RDFC-1.0 and pyld's URDNA2015 both sort.
    return "".join(sorted(text.splitlines(keepends=True)))
