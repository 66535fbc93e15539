"""Errors raised by the credentials package: one base, so callers can fail closed on any of them."""


class CredentialError(Exception):
    """Base of every error in `credentials`."""


class ProofError(CredentialError):
    """A Merkle inclusion or consistency proof does not check out."""


class NoteError(CredentialError):
    """A signed note or checkpoint is malformed or its signature does not verify."""


class KeyFormatError(CredentialError):
    """A key, did:key or multibase string cannot be decoded."""


class CanonicalisationError(CredentialError):
    """A document cannot be canonicalised (unknown context, undefined term, bad JSON value)."""


class SignatureError(CredentialError):
    """A Data Integrity proof is missing, malformed or does not verify."""


class StatusListError(CredentialError):
    """A Bitstring Status List credential or entry is malformed or does not match its issuer."""
