"""C2SP signed notes against the public examples (C2SP spec, golang.org/x/mod) and the signer known answer."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credentials.errors import KeyFormatError, NoteError
from credentials.note import MAX_SIGNATURES, Signer, Verifier, key_id, open_note, sign_note

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("CREDITBANK_SHARED_DIR") or REPO.parent / "shared")
EXAMPLES_FILE = SHARED / "vectors" / "tlog" / "signed-note-examples.json"

if not EXAMPLES_FILE.is_file():
    pytest.fail(
        f"signed-note vectors not found at {EXAMPLES_FILE} (set CREDITBANK_SHARED_DIR)", pytrace=False
    )

EXAMPLES: dict[str, Any] = json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))
KNOWN = EXAMPLES["signer_known_answer"]
TEXT = KNOWN["text"]


@pytest.fixture
def peter() -> Signer:
    """The public TEST key from the x/mod docs."""
    return Signer.from_key_string(KNOWN["skey"])


def test_signer_known_answer_byte_for_byte(peter: Signer) -> None:
    assert sign_note(TEXT, [peter]) == TEXT + "\n" + KNOWN["signature_line"]


def test_private_key_string_gives_the_published_verifier_key(peter: Signer) -> None:
    assert peter.name == "PeterNeumann"
    assert peter.key_id.hex() == "c74f20a3"
    assert peter.verifier.key_string() == KNOWN["vkey"]
    assert Verifier.from_key_string(KNOWN["vkey"]) == peter.verifier


@pytest.mark.parametrize("case", EXAMPLES["examples"], ids=lambda c: c["desc"])
def test_example(case: dict[str, Any]) -> None:
    verifier = Verifier.from_key_string(case["vkey"])
    if case["want_ok"]:
        opened = open_note(case["note"], [verifier])
        assert case["note"].startswith(opened.text)
        assert [s.name for s in opened.verified_signatures] == [verifier.name]
    else:
        with pytest.raises(NoteError):
            open_note(case["note"], [verifier])


def test_unknown_signatures_are_reported_not_trusted() -> None:
    case = next(c for c in EXAMPLES["examples"] if "EnochRoot" in c["note"] and c["want_ok"])
    opened = open_note(case["note"], [Verifier.from_key_string(case["vkey"])])
    assert [s.name for s in opened.unverified_signatures] == ["EnochRoot"]


def test_round_trip_and_bytes_input(peter: Signer) -> None:
    note = sign_note("line one\n\nline three after a blank line\n", [peter])
    opened = open_note(note.encode("utf-8"), [peter.verifier])
    assert opened.text == "line one\n\nline three after a blank line\n"


def test_two_signers_in_order() -> None:
    a = Signer("a.example/log", Ed25519PrivateKey.from_private_bytes(bytes(31) + b"\x02"))
    b = Signer("b.example/log", Ed25519PrivateKey.from_private_bytes(bytes(31) + b"\x03"))
    note = sign_note("hello\n", [a, b])
    assert [line.split(" ")[1] for line in note.splitlines()[2:]] == ["a.example/log", "b.example/log"]
    assert [s.name for s in open_note(note, [b.verifier]).verified_signatures] == ["b.example/log"]
    assert len(open_note(note, [a.verifier, b.verifier]).verified_signatures) == 2


def test_key_id_hashes_the_type_byte(peter: Signer) -> None:
    typed = base64.b64decode(KNOWN["vkey"].split("+", 2)[2])
    assert key_id("PeterNeumann", typed) == peter.key_id
    assert key_id("PeterNeumann", typed[1:]) != peter.key_id  # pitfall 3 in research/formats.md


@pytest.mark.parametrize(
    "vkey",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # id does not match
        "PeterNeumann+c74f20a3+Rpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # no type byte
        "PeterNeumann+c74f20a3+AhpcAAAAAA==",  # wrong type / length
        "PeterNeumann+c74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # short id
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # space in name
        "PeterNeumann+c74f20a3",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq_LDE4izWy10TW",  # URL-safe base64
    ],
)
def test_bad_verifier_keys(vkey: str) -> None:
    with pytest.raises(KeyFormatError):
        Verifier.from_key_string(vkey)


def test_bad_private_key_strings() -> None:
    skey = KNOWN["skey"]
    with pytest.raises(KeyFormatError):
        Signer.from_key_string(skey.replace("PRIVATE+KEY+", "PUBLIC+KEY+"))
    with pytest.raises(KeyFormatError):
        Signer.from_key_string(skey.replace("+c74f20a3+", "+c74f20a4+"))


def test_signer_repr_hides_the_key(peter: Signer) -> None:
    assert "AYEKF" not in repr(peter) and "c74f20a3" in repr(peter)


def _peter_note(peter: Signer) -> str:
    return sign_note(TEXT, [peter])


def test_key_name_with_a_space_is_malformed(peter: Signer) -> None:
    # The shared vector for this rule also lacks its final newline; this one fails for the space alone.
    note = _peter_note(peter).replace("— PeterNeumann ", "— Peter Neumann ")
    with pytest.raises(NoteError, match="malformed"):
        open_note(note, [peter.verifier])


@pytest.mark.parametrize("dash", ["--", "\u2013", "\u2014\u2014"])
def test_only_the_em_dash_opens_a_signature(peter: Signer, dash: str) -> None:
    note = _peter_note(peter).replace("\u2014", dash)
    with pytest.raises(NoteError):
        open_note(note, [peter.verifier])


@pytest.mark.parametrize("char", ["\t", "\r", "\x00", "\x7f", "\x1b"])
def test_control_characters_are_malformed(peter: Signer, char: str) -> None:
    with pytest.raises(NoteError):
        open_note(_peter_note(peter).replace("cryptography", "crypto" + char), [peter.verifier])


def test_invalid_utf8_is_malformed(peter: Signer) -> None:
    with pytest.raises(NoteError):
        open_note(_peter_note(peter).encode("utf-8").replace(b"If", b"I\xff"), [peter.verifier])


def test_signature_limit(peter: Signer) -> None:
    other = Signer("other.example", Ed25519PrivateKey.from_private_bytes(bytes(32)))
    unknown_line = sign_note(TEXT, [other]).split("\n\n")[-1]
    good = _peter_note(peter)
    at_limit = good + unknown_line * (MAX_SIGNATURES - 1)
    assert open_note(at_limit, [peter.verifier]).text == TEXT
    with pytest.raises(NoteError, match="more than"):
        open_note(at_limit + unknown_line, [peter.verifier])


def test_non_canonical_base64_signature_is_malformed(peter: Signer) -> None:
    note = _peter_note(peter)
    body, sig_line = note.rsplit("— ", 1)
    name, b64 = sig_line.rstrip("\n").split(" ")
    # Same bytes, but the final pad-adjacent character carries stray low bits.
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    stem, tail = b64[:-2], b64[-2]
    assert b64.endswith("=")
    bumped = last[last.index(tail) + 1]
    assert base64.b64decode(stem + bumped + "=") == base64.b64decode(b64)
    with pytest.raises(NoteError):
        open_note(f"{body}— {name} {stem}{bumped}=\n", [peter.verifier])


def test_ambiguous_verifiers_are_refused(peter: Signer) -> None:
    other = Verifier(peter.name, peter.key_id, Ed25519PrivateKey.generate().public_key())
    with pytest.raises(NoteError, match="ambiguous"):
        open_note(_peter_note(peter), [peter.verifier, other])


@pytest.mark.parametrize("text", ["no final newline", "tab\there\n", "cr\r\n", ""])
def test_sign_refuses_bad_text(peter: Signer, text: str) -> None:
    with pytest.raises(NoteError):
        sign_note(text, [peter])


def test_sign_needs_a_signer() -> None:
    with pytest.raises(NoteError):
        sign_note(TEXT, [])
