"""C2SP tlog-checkpoint v1.0.0: the signed statement "the log with this origin has this size and root"."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from credentials.errors import NoteError
from credentials.merkle import HASH_SIZE
from credentials.note import Signer, Verifier, b64decode_strict, open_note, sign_note

_SIZE = re.compile(r"0|[1-9][0-9]*")  # ASCII decimal, no sign, no leading zeros
_MAX_SIZE = (1 << 63) - 1  # what Go's int64 (and so x/mod's tlog) can hold


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A checkpoint body: origin, tree size, root hash and (not recommended) extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Refuse values that could not round-trip through the text form."""
        if not self.origin or any(ch < " " or ch == "\x7f" for ch in self.origin):
            raise NoteError("checkpoint origin must be non-empty, on one line, without control characters")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or not 0 <= self.size <= _MAX_SIZE:
            raise NoteError("checkpoint size must be an integer in [0, 2**63)")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise NoteError(f"checkpoint root hash must be {HASH_SIZE} bytes")
        for line in self.extensions:
            if not line or any(ch < " " or ch == "\x7f" for ch in line):
                raise NoteError("checkpoint extension lines must be non-empty single lines")

    def body(self) -> str:
        """The signed text: origin, size, base64 root and extension lines, each ending in a newline."""
        lines = [
            self.origin,
            str(self.size),
            base64.b64encode(self.root_hash).decode("ascii"),
            *self.extensions,
        ]
        return "".join(line + "\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a checkpoint body (the note text, not the whole note); NoteError if malformed."""
    if not text.endswith("\n"):
        raise NoteError("checkpoint body must end with a newline")
    if "\r" in text:
        raise NoteError("checkpoint body must use LF line endings")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("checkpoint body needs origin, size and root hash lines")
    origin, size_text, root_text, *extensions = lines
    # The length cap keeps int() away from huge digit strings (Python refuses those with ValueError).
    if len(size_text) > len(str(_MAX_SIZE)) or not _SIZE.fullmatch(size_text):
        raise NoteError("checkpoint size must be decimal without leading zeros, below 2**63")
    try:
        root = b64decode_strict(root_text)
    except ValueError:
        raise NoteError("checkpoint root hash must be standard base64") from None
    return Checkpoint(origin, int(size_text), root, tuple(extensions))


def sign_checkpoint(cp: Checkpoint, signer: Signer) -> str:
    """The signed note for ``cp``; the origin must be the signer's key name."""
    if cp.origin != signer.name:
        raise NoteError(f"checkpoint origin {cp.origin!r} is not the key name {signer.name!r}")
    return sign_note(cp.body(), [signer])


def open_checkpoint(note: str | bytes, verifier: Verifier, expected_origin: str) -> Checkpoint:
    """Verify and parse a signed checkpoint of the log ``expected_origin``; NoteError if anything is off."""
    if verifier.name != expected_origin:
        raise NoteError(f"verifier key {verifier.name!r} is not the key of log {expected_origin!r}")
    opened = open_note(note, [verifier])
    cp = parse_checkpoint(opened.text)
    if cp.origin != expected_origin:
        raise NoteError(f"checkpoint origin {cp.origin!r} is not {expected_origin!r}")
    return cp
