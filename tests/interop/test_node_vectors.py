"""Independent Node.js verifiers (Digital Bazaar, DCC verifier-core) against the shared official vectors.

Proves the harness in tests/interop/node before it is pointed at what the bank issues: every entry of
``vectors/vc/expected.json`` must get its expected verdict (and error text) from Digital Bazaar's
``@digitalbazaar/vc``, and DCC's verifier-core must accept the derived eddsa-rdfc-2022 record and reject
its tampered copies. Everything runs offline.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHARED_DIR

from .nodeverify import NodeVerifier, NodeVerifierError, verify

pytestmark = pytest.mark.interop

REPO = Path(__file__).resolve().parents[2]
SHARED = SHARED_DIR
VC_DIR = SHARED / "vectors" / "vc"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"

if not (VC_DIR / "expected.json").is_file():
    pytest.skip(f"shared vectors not found at {VC_DIR} (set CREDITBANK_SHARED_DIR)", allow_module_level=True)


def load(rel: str) -> Any:
    """A vector file, parsed."""
    return json.loads((VC_DIR / rel).read_text(encoding="utf-8"))


def options_from_args(args: list[str]) -> dict[str, Any]:
    """Translate expected.json's verifier CLI arguments into job options."""
    opts: dict[str, Any] = {}
    it = iter(args)
    for arg in it:
        if arg == "--proof-only":
            opts["proof_only"] = True
        elif arg == "--context":
            url, _, rel = next(it).partition("=")
            opts.setdefault("contexts", {})[url] = load(rel)
        elif arg == "--controller":
            opts.setdefault("controllers", []).append(load(next(it)))
        elif arg == "--status-list":
            status_list = load(next(it))
            opts.setdefault("status_lists", {})[status_list["id"]] = status_list
        elif arg == "--now":
            opts["now"] = next(it)
        else:
            raise AssertionError(f"expected.json uses an argument the harness does not translate: {arg}")
    return opts


EXPECTED: list[dict[str, Any]] = load("expected.json")
RDFC_RECORD = "derived/ob3-credit-record.rdfc.json"
TAMPERED_RDFC = sorted(
    p.relative_to(VC_DIR).as_posix() for p in (VC_DIR / "derived" / "tampered").glob("rdfc-*.json")
)


def _case_id(i: int, case: dict[str, Any]) -> str:
    # p = proof-only, c = context or controller, s = status list, n = now
    flags = "".join(a[2] for a in case["args"] if a.startswith("--"))
    return f"{i:02d}-{Path(case['file']).stem}-{flags or 'full'}-{case['expect']}"


@pytest.fixture(scope="session")
def node_verifier() -> Iterator[NodeVerifier]:
    """One warm ``verify.mjs --server`` process for the whole session."""
    with NodeVerifier() as nv:
        yield nv


def _assert_verdict(result: dict[str, Any], expect: str, error: str, why: str) -> None:
    if expect == "pass":
        assert result["verified"] is True, f"{why}: {result['errors']}"
        assert result["errors"] == []
    else:
        assert result["verified"] is False, why
        assert result["errors"], "a failure must say why"
        if error:
            assert any(error in e for e in result["errors"]), f"{error!r} not in {result['errors']}"


@pytest.mark.parametrize("case", EXPECTED, ids=[_case_id(i, c) for i, c in enumerate(EXPECTED)])
def test_digitalbazaar_expected(node_verifier: NodeVerifier, case: dict[str, Any]) -> None:
    [result] = node_verifier.verify([load(case["file"])], "digitalbazaar", **options_from_args(case["args"]))
    _assert_verdict(result, case["expect"], case["error"], case["why"])


def test_expected_json_covers_every_credential_file() -> None:
    """No vector is left unchecked: each signed file appears in expected.json (as a credential or an argument)."""
    listed = {c["file"] for c in EXPECTED} | {a.rpartition("=")[2] for c in EXPECTED for a in c["args"]}
    files = {
        p.relative_to(VC_DIR).as_posix()
        for p in VC_DIR.rglob("*.json")
        if "proof" in load(p.relative_to(VC_DIR).as_posix())
    }
    assert files <= listed, sorted(files - listed)


@pytest.mark.parametrize(("index", "revoked"), [(3, False), (7, True)])
def test_digitalbazaar_status_is_reported(node_verifier: NodeVerifier, index: int, revoked: bool) -> None:
    """The harness converts a set bit (the library says verified:true, status:true) into a failure."""
    status_list = load("derived/status/list-revocation.json")
    [result] = node_verifier.verify(
        [load(f"derived/status/ob3-credit-record.status{index}.rdfc.json")],
        status_lists={status_list["id"]: status_list},
    )
    assert result["statusChecked"] is True
    assert result["revoked"] is revoked
    assert result["verified"] is not revoked


def test_digitalbazaar_now_checks_validity(node_verifier: NodeVerifier) -> None:
    record = load(RDFC_RECORD)  # validFrom 2025-07-01T00:00:00Z
    [early] = node_verifier.verify([record], now="2025-06-01T00:00:00Z")
    [later] = node_verifier.verify([record], now="2030-01-01T00:00:00Z")
    assert early["verified"] is False
    assert any('is before "validFrom"' in e for e in early["errors"])
    assert later["verified"] is True


def test_job_documents_do_not_leak_into_later_jobs(node_verifier: NodeVerifier) -> None:
    """A context given to one job is not cached for the next (the warm process stays strictly offline)."""
    w3c = load("w3c-vc-di-eddsa/eddsa-rdfc-2022/signedDataInt.json")
    examples = load("contexts/credentials-examples-v2.jsonld")
    [with_ctx] = node_verifier.verify([w3c], proof_only=True, contexts={EXAMPLES_V2: examples})
    [without] = node_verifier.verify([w3c], proof_only=True)
    assert with_ctx["verified"] is True
    assert without["verified"] is False
    assert any(f"offline loader: no document for {EXAMPLES_V2}" in e for e in without["errors"])


def test_standard_context_cannot_be_replaced(node_verifier: NodeVerifier) -> None:
    """A job may add contexts, not alter a bundled published one (e.g. a bank serving a modified copy)."""
    fake = {"@context": {"@vocab": "https://example.org/#"}}
    with pytest.raises(NodeVerifierError, match="differs from the published document"):
        node_verifier.verify([load(RDFC_RECORD)], contexts={"https://www.w3.org/ns/credentials/v2": fake})


def test_one_shot_matches_server(node_verifier: NodeVerifier) -> None:
    credentials = [load(RDFC_RECORD), load("derived/tampered/rdfc-credits-changed.json")]
    assert verify(credentials) == node_verifier.verify(credentials)


def test_warm_timing_is_reported(node_verifier: NodeVerifier) -> None:
    answer = node_verifier.run(
        {"verifier": "digitalbazaar", "credentials": [load(RDFC_RECORD)], "options": {"repeat": 20}}
    )
    assert [r["verified"] for r in answer["results"]] == [True]
    assert answer["timing"]["repeat"] == 20
    assert answer["timing"]["warm_ms_per_credential"] > 0


# --- DCC verifier-core: signature, issuer and validity (system clock); no loader, no `now` ---


@pytest.mark.parametrize("rel", [RDFC_RECORD, "derived/reordered/ob3-credit-record.rdfc.reordered.json"])
def test_dcc_accepts_rdfc_record(node_verifier: NodeVerifier, rel: str) -> None:
    [result] = node_verifier.verify([load(rel)], "dcc")
    assert result["verified"] is True, result["errors"]
    assert result["statusChecked"] is False and result["revoked"] is None


@pytest.mark.parametrize("rel", TAMPERED_RDFC)
def test_dcc_rejects_tampered_rdfc(node_verifier: NodeVerifier, rel: str) -> None:
    [result] = node_verifier.verify([load(rel)], "dcc")
    assert result["verified"] is False
    assert result["errors"]


def test_dcc_rejects_non_issuer_key_as_invalid_signature(node_verifier: NodeVerifier) -> None:
    """verifier-core reports issuer != key controller as a bad signature, not as an issuer error."""
    [result] = node_verifier.verify([load("derived/tampered/rdfc-signed-by-non-issuer-key.json")], "dcc")
    assert result["errors"] == ["invalid_signature: The signature is not valid."]


def _status_job(index: int, list_file: str | None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    credential = load(f"derived/status/ob3-credit-record.status{index}.rdfc.json")
    if list_file is None:
        return [credential], {}
    status_list = load(list_file)
    # served at the entry's URL, as the bank serves it (the other-key list claims the same id)
    return [credential], {"status_lists": {status_list["id"]: status_list}}


def test_dcc_skips_status_it_cannot_fetch(node_verifier: NodeVerifier) -> None:
    """Offline with no list, verifier-core reports the status step as an error and still verifies the rest."""
    credentials, _ = _status_job(3, None)
    [result] = node_verifier.verify(credentials, "dcc")
    assert (result["verified"], result["statusChecked"], result["revoked"]) == (True, False, None)
    assert any(i.startswith("revocation_status: not checked") for i in result["info"])


@pytest.mark.parametrize(("index", "revoked"), [(3, False), (7, True)])
def test_dcc_checks_status_when_the_list_is_served(
    node_verifier: NodeVerifier, index: int, revoked: bool
) -> None:
    credentials, options = _status_job(index, "derived/status/list-revocation.json")
    [result] = node_verifier.verify(credentials, "dcc", **options)
    assert (result["statusChecked"], result["revoked"], result["verified"]) == (True, revoked, not revoked)


def test_dcc_does_not_check_the_status_list_issuer(node_verifier: NodeVerifier) -> None:
    """verifier-core passes verifyMatchingIssuers:false: a list at the right URL signed by ANY key is used.

    Digital Bazaar refuses the same list (expected.json). Whatever the bank serves at a list URL is
    trusted by DCC wallets, so the bank itself must check uploaded lists."""
    credentials, options = _status_job(3, "derived/status/list-revocation.signed-by-other-key.json")
    [result] = node_verifier.verify(credentials, "dcc", **options)
    assert (result["verified"], result["statusChecked"], result["revoked"]) == (True, True, False)
