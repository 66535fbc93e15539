"""Canonicalisation and signing benchmark over OB 3.0 credit records. Prints one JSON line.

    .venv/bin/python bench/bench_canon.py [--records 1000] [--pyld-samples 200] [--repeat 3]

Medians, one thread, warm unless a field says "first". Compares pyld's own URDNA2015 normalize (with a
loader that re-serves contexts each call, "naive", and with ours, whose "static" tag lets pyld keep
them) with `credentials.canonical.rdfc` (shape-cached expansion + pyoxigraph RDFC-1.0).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from cachetools import LRUCache
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyld import jsonld
from pyld.context_resolver import ContextResolver

from credentials import contexts
from credentials.canonical import rdfc
from credentials.dataintegrity import sign, sign_batch, verify
from credentials.didkey import did_key, verification_method

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CREDITBANK_SHARED_DIR") or REPO.parent / "shared")
KEY = Ed25519PrivateKey.from_private_bytes(
    hashlib.sha256(b"peer-verify sample issuer key - public, NOT SECRET").digest()
)
CREATED = datetime(2025, 7, 1, tzinfo=UTC)
COURSES = ["Data Structures", "数据库系统", "Calculus II", "Welding Practice", 'English for "Work"\n']


def records(count: int) -> list[dict[str, Any]]:
    """`count` credit records shaped like vectors/vc/derived/ob3-credit-record, values varied."""
    template = json.loads((SHARED / "vectors/vc/derived/ob3-credit-record.unsigned.json").read_text("utf-8"))
    template["issuer"]["id"] = did_key(KEY.public_key())
    out = []
    for n in range(count):
        record = json.loads(json.dumps(template))
        record["id"] = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'record/{n}')}"
        subject = record["credentialSubject"]
        subject["id"] = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'learner/{n % 97}')}"
        subject["identifier"][0]["identityHash"] = "sha256$" + hashlib.sha256(str(n).encode()).hexdigest()
        course = COURSES[n % len(COURSES)]
        subject["achievement"]["id"] = f"https://college.example/courses/C{n % 50}"
        subject["achievement"]["name"] = course
        subject["achievement"]["humanCode"] = f"C{n % 50}"
        subject["creditsEarned"] = n % 5 + 1
        subject["result"][0]["value"] = str(60 + n % 40)
        record["name"] = f"{course} - {n % 5 + 1} credits"
        out.append(record)
    return out


def median_ms(action: Callable[[Any], object], items: list[Any]) -> float:
    """Median wall time of `action(item)` over `items`, in milliseconds."""
    times = []
    for item in items:
        start = time.perf_counter()
        action(item)
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 4)


def calibration_us() -> float:
    """The research notes' CPU probe: sum(range(1000)), median µs."""
    times = []
    for _ in range(2000):
        start = time.perf_counter()
        sum(range(1000))
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1e6, 2)


def pyld_normalize(document: dict[str, Any]) -> str:
    """The naive signer's canonicalisation: pyld end to end with the offline loader."""
    return jsonld.normalize(
        document,
        {
            "algorithm": "URDNA2015",
            "format": "application/n-quads",
            "documentLoader": contexts.document_loader,
        },
    )


def _untagged_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """The vendored contexts without pyld's "static" tag: pyld re-resolves them on every call."""
    return {"contextUrl": None, "documentUrl": url, "document": contexts.load(url)}


def pyld_normalize_naive(document: dict[str, Any]) -> str:
    """What a naive offline signer does (research/perf-limits.md addendum: ~6 ms there)."""
    return jsonld.normalize(
        document,
        {
            "algorithm": "URDNA2015",
            "format": "application/n-quads",
            "documentLoader": _untagged_loader,
            # A resolver of its own: pyld's global one already holds our tagged contexts.
            "contextResolver": ContextResolver(LRUCache(maxsize=100), _untagged_loader),
        },
    )


def main() -> None:
    """Run the benchmark and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--pyld-samples", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    docs = records(args.records)
    method = verification_method(KEY.public_key())

    start = time.perf_counter()
    first = rdfc(docs[0])  # loads and processes the contexts, learns the shape
    first_call_ms = (time.perf_counter() - start) * 1000
    assert first == pyld_normalize(docs[0])

    sample = docs[: args.pyld_samples]
    pyld_ms = median_ms(pyld_normalize, sample)
    pyld_naive_ms = median_ms(pyld_normalize_naive, sample)
    rdfc_ms = median_ms(rdfc, docs)
    mismatches = sum(rdfc(doc) != pyld_normalize(doc) for doc in sample)

    def sign_one(doc: dict[str, Any]) -> dict[str, Any]:
        return sign(doc, KEY, verification_method=method, created=CREATED)

    sign_ms = median_ms(sign_one, docs)
    signed = [sign_one(doc) for doc in docs]
    verify_ms = median_ms(verify, signed)

    rates = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        sign_batch(docs, KEY, verification_method=method, created=CREATED)
        rates.append(len(docs) / (time.perf_counter() - start))

    print(
        json.dumps(
            {
                "bench": "canon",
                "records": len(docs),
                "pyld_normalize_naive_ms": pyld_naive_ms,
                "pyld_normalize_ms": pyld_ms,
                "rdfc_ms": rdfc_ms,
                "rdfc_first_call_ms": round(first_call_ms, 1),
                "speedup_vs_pyld": round(pyld_ms / rdfc_ms, 1),
                "speedup_vs_naive_pyld": round(pyld_naive_ms / rdfc_ms, 1),
                "rdfc_vs_pyld_mismatches": mismatches,
                "sign_ms": sign_ms,
                "verify_ms": verify_ms,
                "batch_sign_records_per_s": round(statistics.median(rates)),
                "calibration_us": calibration_us(),
                "loadavg": [round(x, 2) for x in os.getloadavg()],
                "python": platform.python_version(),
                "pyld": version("PyLD"),
                "pyoxigraph": version("pyoxigraph"),
            }
        )
    )


if __name__ == "__main__":
    main()
