"""Ed25519 keys as Multikey multibase strings and did:key identifiers (resolved locally, never fetched)."""

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from credentials.errors import KeyFormatError
from credentials.multibase import decode_base58btc, encode_base58btc

# Multicodec ed25519-pub (0xed) as an unsigned varint: always renders as "z6Mk…".
ED25519_PUB_PREFIX = b"\xed\x01"
# Multicodec ed25519-priv (0x1300) as an unsigned varint, as in the W3C vectors' keyPair.json.
ED25519_PRIV_PREFIX = b"\x80\x26"
# Some libraries write the codec 0x1300 as two plain bytes instead of a varint; accept it on input only.
_ED25519_PRIV_PREFIX_RAW = b"\x13\x00"
DID_KEY_PREFIX = "did:key:"


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_key_multibase(public_key: Ed25519PublicKey) -> str:
    """Multikey `publicKeyMultibase` of an Ed25519 public key ("z6Mk…")."""
    return encode_base58btc(ED25519_PUB_PREFIX + _raw_public(public_key))


def public_key_from_multibase(multibase: str) -> Ed25519PublicKey:
    """Ed25519 public key from a Multikey `publicKeyMultibase`; raises KeyFormatError."""
    data = decode_base58btc(multibase)
    if len(data) != 34 or not data.startswith(ED25519_PUB_PREFIX):
        raise KeyFormatError("not an Ed25519 Multikey (expected 0xed01 + 32 bytes)")
    return Ed25519PublicKey.from_public_bytes(data[2:])


def private_key_multibase(private_key: Ed25519PrivateKey) -> str:
    """Multikey `secretKeyMultibase` of an Ed25519 private key: 0x8026 varint + 32-byte seed."""
    seed = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return encode_base58btc(ED25519_PRIV_PREFIX + seed)


def private_key_from_multibase(multibase: str) -> Ed25519PrivateKey:
    """Ed25519 private key from a multibase secret key (seed, or seed + public key); raises KeyFormatError."""
    data = decode_base58btc(multibase)
    if not data.startswith((ED25519_PRIV_PREFIX, _ED25519_PRIV_PREFIX_RAW)) or len(data) not in (34, 66):
        raise KeyFormatError("not an Ed25519 private Multikey (expected 0x1300 + 32 or 64 bytes)")
    key = Ed25519PrivateKey.from_private_bytes(data[2:34])
    # The 64-byte form carries the public key too; a mismatch means a corrupt or spliced key.
    if len(data) == 66 and _raw_public(key.public_key()) != data[34:]:
        raise KeyFormatError("private Multikey's embedded public key does not match its seed")
    return key


def did_key(public_key: Ed25519PublicKey) -> str:
    """The did:key DID of an Ed25519 public key."""
    return DID_KEY_PREFIX + public_key_multibase(public_key)


def verification_method(public_key: Ed25519PublicKey) -> str:
    """did:key verification method id: the DID + "#" + the same multibase."""
    multibase = public_key_multibase(public_key)
    return f"{DID_KEY_PREFIX}{multibase}#{multibase}"


def controller_of(did_or_vm: str) -> str:
    """The DID part of a did:key DID or verification method id (no fragment); raises KeyFormatError."""
    public_key_from_did_key(did_or_vm)
    return did_or_vm.split("#", 1)[0]


def public_key_from_did_key(did_or_vm: str) -> Ed25519PublicKey:
    """Ed25519 public key of a did:key DID or verification method id; raises KeyFormatError."""
    if not isinstance(did_or_vm, str) or not did_or_vm.startswith(DID_KEY_PREFIX):
        raise KeyFormatError("not a did:key identifier")
    did, hash_sign, fragment = did_or_vm.partition("#")
    multibase = did[len(DID_KEY_PREFIX) :]
    # did:key names exactly one key; a fragment naming anything else is not this DID's key.
    if hash_sign and fragment != multibase:
        raise KeyFormatError("did:key fragment must equal the key's multibase")
    return public_key_from_multibase(multibase)
