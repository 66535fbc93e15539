"""rdfc's fast path gives exactly pyld's URDNA2015 N-Quads, and refuses what pyld would silently drop."""

from __future__ import annotations

import copy
import json
import math
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pyld import jsonld

from credentials import canonical, contexts
from credentials.canonical import jcs, rdfc
from credentials.errors import CanonicalisationError
from tests.conftest import SHARED_DIR

REPO = Path(__file__).resolve().parents[2]
SHARED = SHARED_DIR
RECORD = SHARED / "vectors" / "vc" / "derived" / "ob3-credit-record.rdfc.json"

if not RECORD.is_file():
    pytest.fail(f"vc vectors not found at {RECORD.parent} (set CREDITBANK_SHARED_DIR)", pytrace=False)

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_303 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CLR_201 = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def pyld_nquads(document: dict[str, Any]) -> str:
    """The reference: pyld's own normalize over the same vendored contexts."""
    return jsonld.normalize(
        copy.deepcopy(document),
        {
            "algorithm": "URDNA2015",
            "format": "application/n-quads",
            "documentLoader": contexts.document_loader,
        },
    )


# --- strategies: Open Badges 3.0 credit records with awkward values -----------------------------------------

# Tab, LF and CR are the only control characters both pyld and rdf-canonize write the same way.
_TEXT_CHARS = st.characters(exclude_categories=("Cs", "Cc"), include_characters="\t\n\r")
TEXT = st.one_of(
    st.text(_TEXT_CHARS, max_size=24),
    st.sampled_from(
        [
            "数据结构与算法",
            'say "hi"',
            "line1\nline2",
            "tab\there",
            "😀 𝄞 non-BMP",
            "back\\slash",
            "",
            " ",
            "\r\n",
            "<b>&amp;</b>",
            "Ωmega ü",
            "87",
            "@id",
            "_:b0",
            "urn:x-creditbank:leaf:s0",
        ]
    ),
)
NUMBER = st.one_of(
    st.integers(-(2**53 - 1), 2**53 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([2.5, 3.0, 0.1, 100.0, 1e21, 1e20, -0.0, 1.5e-7, 5e-324, 1.7976931348623157e308, 0, 3]),
)
SLUG = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-_.~"), min_size=1, max_size=12)
IRI = st.one_of(
    st.uuids().map(lambda u: f"urn:uuid:{u}"),
    SLUG.map(lambda s: f"https://college.example/{s}"),
    st.just("did:key:z6MkwV5fwyVbYm9DmxtaUVHPYf5QLMbTnj8oomXYRjmV4Vbw"),
    # These go through the slow path: a context prefix rewrites "xsd:", and blank node ids merge.
    st.sampled_from(["xsd:thing", "_:b1", "mailto:registrar@college.example", "https://例え.jp/路径"]),
)


@st.composite
def DATETIME(draw: st.DrawFn) -> str:  # noqa: N802 - reads like the other strategy constants
    moment = draw(st.datetimes(datetime(1900, 1, 1), datetime(2200, 1, 1), timezones=st.just(UTC)))
    style = draw(st.sampled_from(["z", "fraction", "offset"]))
    if style == "z":
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == "fraction":
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    return moment.astimezone(timezone(timedelta(hours=8))).isoformat()


DATE = st.dates().map(lambda d: d.isoformat())


def _optional(draw: st.DrawFn, target: dict[str, Any], key: str, strategy: st.SearchStrategy[Any]) -> None:
    if draw(st.booleans()):
        target[key] = draw(strategy)


@st.composite
def name_value(draw: st.DrawFn) -> Any:
    text = draw(TEXT)
    if draw(st.integers(0, 4)) == 0:
        return {"@value": text, "@language": draw(st.sampled_from(["en", "zh-CN", "en-US"]))}
    return text


@st.composite
def achievement(draw: st.DrawFn) -> dict[str, Any]:
    value: dict[str, Any] = {
        "id": draw(IRI),
        "type": ["Achievement"],
        "name": draw(name_value()),
        "criteria": draw(st.one_of(st.builds(lambda n: {"narrative": n}, TEXT), IRI)),
    }
    _optional(draw, value, "achievementType", st.sampled_from(["Course", "Certificate", "ext:Skill"]))
    _optional(draw, value, "description", TEXT)
    _optional(draw, value, "humanCode", TEXT)
    _optional(draw, value, "fieldOfStudy", TEXT)
    _optional(draw, value, "creditsAvailable", NUMBER)
    _optional(draw, value, "tag", st.lists(TEXT, max_size=3))
    _optional(
        draw,
        value,
        "alignment",
        st.lists(
            st.builds(
                lambda name, url, code, framework: {
                    "type": ["Alignment"],
                    "targetName": name,
                    "targetUrl": url,
                    "targetCode": code,
                    "targetFramework": framework,
                },
                TEXT,
                IRI,
                TEXT,
                TEXT,
            ),
            max_size=2,
        ),
    )
    _optional(
        draw,
        value,
        "resultDescription",
        st.lists(
            st.builds(
                lambda id_, name, allowed: {
                    "id": id_,
                    "type": ["ResultDescription"],
                    "name": name,
                    "resultType": "LetterGrade",
                    "allowedValue": allowed,  # an @list in the OB context: pyld's RDF path
                },
                IRI,
                TEXT,
                st.lists(TEXT, max_size=3),
            ),
            max_size=1,
        ),
    )
    return value


@st.composite
def subject(draw: st.DrawFn) -> dict[str, Any]:
    value: dict[str, Any] = {"type": ["AchievementSubject"], "achievement": draw(achievement())}
    _optional(draw, value, "id", IRI)
    _optional(draw, value, "creditsEarned", NUMBER)
    _optional(draw, value, "term", TEXT)
    _optional(draw, value, "activityStartDate", st.one_of(DATE, DATETIME()))
    _optional(draw, value, "activityEndDate", st.one_of(DATE, DATETIME()))
    _optional(
        draw,
        value,
        "result",
        st.lists(
            st.builds(
                lambda v, s: {"type": ["Result"], "value": v, "status": s},
                TEXT,
                st.sampled_from(["Completed", "Enrolled"]),
            ),
            max_size=2,
        ),
    )
    _optional(
        draw,
        value,
        "identifier",
        st.lists(
            st.builds(
                lambda hashed, digest: {
                    "type": "IdentityObject",
                    "identityType": "studentId",
                    "hashed": hashed,
                    "identityHash": digest,
                },
                st.booleans(),
                TEXT,
            ),
            max_size=1,
        ),
    )
    return value


@st.composite
def credential(draw: st.DrawFn) -> dict[str, Any]:
    issuer: Any = draw(IRI)
    if draw(st.booleans()):
        issuer = {"id": issuer, "type": ["Profile"], "name": draw(name_value())}
        _optional(draw, issuer, "url", IRI)
        _optional(draw, issuer, "email", TEXT)
    value: dict[str, Any] = {
        "@context": [VC_V2, OB_303],
        "id": draw(IRI),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": draw(name_value()),
        "issuer": issuer,
        "validFrom": draw(DATETIME()),
        "credentialSubject": draw(subject()),
    }
    _optional(draw, value, "description", TEXT)
    _optional(draw, value, "validUntil", DATETIME())
    _optional(draw, value, "awardedDate", DATETIME())
    _optional(
        draw,
        value,
        "credentialSchema",
        # jsonSchema is an @json literal: arbitrary JSON, JCS-canonicalised inside the RDF.
        st.builds(
            lambda id_, schema: {"id": id_, "type": "JsonSchema", "jsonSchema": schema},
            IRI,
            st.dictionaries(
                st.sampled_from(["$id", "type", "title", "minimum"]), st.one_of(TEXT, NUMBER), max_size=3
            ),
        ),
    )
    return value


# --- properties -------------------------------------------------------------------------------------------------


def _blank_ids(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [b for v in value.values() for b in _blank_ids(v)]
    if isinstance(value, list):
        return [b for v in value for b in _blank_ids(v)]
    return [value] if isinstance(value, str) and value.startswith("_:") else []


@PROPERTY
@given(credential())
def test_rdfc_equals_pyld(document: dict[str, Any]) -> None:
    # A blank node id used twice can make a quad name one blank node twice, where pyld 3.3 departs
    # from RDFC-1.0 (see test_blank_node_self_reference_follows_rdf_canonize).
    assume(len(set(_blank_ids(document))) == len(_blank_ids(document)))
    expected = pyld_nquads(document)
    assert rdfc(document) == expected
    # Again: now the shape is cached and the values are put back into its expansion.
    assert rdfc(document) == expected


@PROPERTY
@given(
    credential(),
    st.sampled_from(["top", "subject", "achievement", "result"]),
    st.from_regex(r"[a-z]{1,10}", fullmatch=True),
)
def test_undefined_term_is_refused_where_pyld_drops_it(
    document: dict[str, Any], where: str, suffix: str
) -> None:
    target = {
        "top": document,
        "subject": document["credentialSubject"],
        "achievement": document["credentialSubject"]["achievement"],
        "result": (document["credentialSubject"].get("result") or [document])[0],
    }[where]
    before = pyld_nquads(document)
    target["zzUndefined" + suffix] = "signed but dropped?"
    assert pyld_nquads(document) == before  # pyld silently drops the term...
    with pytest.raises(CanonicalisationError, match="not defined by any @context"):
        rdfc(document)  # ...we refuse it


# rdf-canonize 5.0.0 (what jsonld.js and so @digitalbazaar/vc use) on this document, and pyoxigraph
# agrees. pyld 3.3 files the quad `_:x issuer _:x` twice under _:x (once per position), so its first-
# degree hash, and with it the labels, differ: a credential signed with pyld would not verify in Node.
SELF_REFERENCE_RDF_CANONIZE = """\
<urn:uuid:e3e70682-c209-4cac-629f-6fbed82c07cd> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://purl.imsglobal.org/spec/vc/ob/vocab.html#Achievement> .
<urn:uuid:e3e70682-c209-4cac-629f-6fbed82c07cd> <https://purl.imsglobal.org/spec/vc/ob/vocab.html#Criteria> _:c14n2 .
<urn:uuid:e3e70682-c209-4cac-629f-6fbed82c07cd> <https://schema.org/name> "a" .
_:c14n0 <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential> .
_:c14n0 <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://www.w3.org/2018/credentials#VerifiableCredential> .
_:c14n0 <https://schema.org/name> "n" .
_:c14n0 <https://www.w3.org/2018/credentials#credentialSubject> _:c14n1 .
_:c14n0 <https://www.w3.org/2018/credentials#issuer> _:c14n0 .
_:c14n0 <https://www.w3.org/2018/credentials#validFrom> "2000-01-01T00:00:01Z"^^<http://www.w3.org/2001/XMLSchema#dateTime> .
_:c14n1 <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://purl.imsglobal.org/spec/vc/ob/vocab.html#AchievementSubject> .
_:c14n1 <https://purl.imsglobal.org/spec/vc/ob/vocab.html#achievement> <urn:uuid:e3e70682-c209-4cac-629f-6fbed82c07cd> .
_:c14n2 <https://purl.imsglobal.org/spec/vc/ob/vocab.html#narrative> "" .
"""


def test_blank_node_self_reference_follows_rdf_canonize() -> None:
    document = {
        "@context": [VC_V2, OB_303],
        "id": "_:b1",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "n",
        "issuer": "_:b1",
        "validFrom": "2000-01-01T00:00:01Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "urn:uuid:e3e70682-c209-4cac-629f-6fbed82c07cd",
                "type": ["Achievement"],
                "name": "a",
                "criteria": {"narrative": ""},
            },
        },
    }
    assert rdfc(document) == SELF_REFERENCE_RDF_CANONIZE
    assert rdfc(document) == SELF_REFERENCE_RDF_CANONIZE
    assert pyld_nquads(document) != SELF_REFERENCE_RDF_CANONIZE


def test_records_differing_only_in_values_share_one_cached_shape() -> None:
    first = json.loads(RECORD.read_text("utf-8"))
    del first["proof"]
    second = copy.deepcopy(first)
    second["id"] = "urn:uuid:11111111-2222-4333-8444-555555555555"
    second["credentialSubject"]["achievement"]["name"] = "算法设计"
    second["credentialSubject"]["creditsEarned"] = 4
    assert rdfc(first) == pyld_nquads(first)
    assert rdfc(second) == pyld_nquads(second)
    leaves: list[Any] = []
    key = json.dumps(canonical._template(second, leaves, top=True), ensure_ascii=False, separators=(",", ":"))
    assert isinstance(canonical._SHAPES._entries.get(key), canonical._Shape)


def test_embedded_credentials_with_their_own_context_and_proof() -> None:
    record = json.loads(RECORD.read_text("utf-8"))
    clr = {
        "@context": [VC_V2, CLR_201, OB_303],
        "id": "urn:uuid:7d1c5a52-0c4b-4a4f-9d43-2f3b8f1e6a10",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": record["issuer"],
        "validFrom": "2025-07-02T00:00:00Z",
        "name": "Transcript",
        "credentialSubject": {"type": "ClrSubject", "verifiableCredential": [record, record]},
    }
    assert rdfc(clr) == pyld_nquads(clr)
    assert rdfc(clr) == pyld_nquads(clr)


def _record() -> dict[str, Any]:
    document = json.loads(RECORD.read_text("utf-8"))
    del document["proof"]
    return document


def _set(path: str, value: Any) -> dict[str, Any]:
    document = _record()
    *parents, last = path.split(".")
    target: Any = document
    for part in parents:
        target = target[part]
    target[last] = value
    return document


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (_set("name", "bell\x07"), "U\\+0007"),
        (_set("name", "form\x0cfeed"), "U\\+000C"),
        (_set("name", "del\x7f"), "U\\+007F"),
        (_set("name", "lone \ud800"), "U\\+D800"),
        (_set("credentialSubject.creditsEarned", math.nan), "NaN"),
        (_set("credentialSubject.creditsEarned", math.inf), "NaN"),
        (_set("credentialSubject.creditsEarned", 2**53), "safe range"),
        (_set("credentialSubject.creditsEarned", {1, 2}), "not a JSON value"),
        (_set("@context", [VC_V2, OB_303, {"gpa": "https://example.org/gpa"}]), "@context must be a URL"),
        (_set("credentialSubject.@context", {"@vocab": None}), "@context must be a URL"),
        (_set("@context", [VC_V2, OB_303, "https://example.org/ctx"]), "offline loader: no document for"),
        (_set("@context", VC_V2), "not defined by any @context"),  # OB terms without the OB context
        (_set("id", "relative/id"), "relative or invalid IRI"),
        (
            _set("credentialSubject.achievement.id", "https://college.example/with space"),
            "relative or invalid IRI",
        ),
        (_set("credentialSubject.achievement.criteria", "see the handbook"), "relative or invalid IRI"),
        (_set("credentialSubject.type", ["AchievementSubject", "MadeUpType"]), "'MadeUpType' \\(type\\)"),
        (_set("credentialSubject.@foo", "x"), "keyword-like"),
        (_set("id", 5), "@id"),
    ],
)
def test_refused_documents(document: dict[str, Any], message: str) -> None:
    with pytest.raises(CanonicalisationError, match=message):
        rdfc(document)


def test_no_context_is_refused() -> None:
    with pytest.raises(CanonicalisationError, match="no @context"):
        rdfc({"id": "urn:uuid:1", "name": "x"})


def test_relative_iris_are_refused_although_pyld_would_invent_a_base() -> None:
    document = _set("credentialSubject.achievement.id", "CS201")
    # pyld resolves against http://example.org/base/; JavaScript verifiers keep it relative and drop it.
    assert "http://example.org/base/CS201" in pyld_nquads(document)
    with pytest.raises(CanonicalisationError):
        rdfc(document)


@PROPERTY
@given(credential())
def test_jcs_is_rfc8785(document: dict[str, Any]) -> None:
    text = jcs(document).decode("utf-8")
    # JCS writes numbers as ECMAScript does ("50386016606264530" for 5.038601660626453e16): read
    # them back as doubles, as a JavaScript verifier would.
    parsed = json.loads(text, parse_int=float)
    assert parsed == document
    assert text == jcs(parsed).decode("utf-8")


def test_jcs_refuses_non_json() -> None:
    with pytest.raises(CanonicalisationError):
        jcs({"x": math.nan})
