"""The master keyring: seals secrets at rest and opens them, old master keys included during a rotation."""

from __future__ import annotations

from dataclasses import dataclass, field

from credentials.sealing import SealingError, decode_master_key, key_id, open_sealed, seal

_ID_LEN = 16  # hex characters of the master key fingerprint stored in front of each sealed value


@dataclass(frozen=True)
class Keyring:
    """The current master key (seals) and older ones (open only), chosen per value by fingerprint."""

    current: bytes
    old: tuple[bytes, ...] = field(default_factory=tuple)

    @classmethod
    def from_config(cls, master: str, old: list[str] | tuple[str, ...] = ()) -> Keyring:
        """Build from base64 strings as configured."""
        return cls(decode_master_key(master), tuple(decode_master_key(k) for k in old))

    @property
    def current_id(self) -> str:
        """Fingerprint of the current master key."""
        return key_id(self.current)

    def seal(self, plaintext: bytes, *, context: str) -> bytes:
        """Seal under the current key; the value names its key so that a rotation can find it."""
        return self.current_id.encode() + seal(self.current, plaintext, context=context.encode())

    def open(self, sealed: bytes, *, context: str) -> bytes:
        """Open a value sealed under the current or an old key."""
        kid = sealed[:_ID_LEN].decode(errors="replace")
        for key in (self.current, *self.old):
            if key_id(key) == kid:
                return open_sealed(key, sealed[_ID_LEN:], context=context.encode())
        raise SealingError(f"sealed under an unknown master key ({kid}); is an old key missing?")

    def needs_rewrap(self, sealed: bytes) -> bool:
        """True if the value is sealed under an old key."""
        return sealed[:_ID_LEN].decode(errors="replace") != self.current_id

    def rewrap(self, sealed: bytes, *, context: str) -> bytes:
        """Re-seal a value under the current key."""
        return self.seal(self.open(sealed, context=context), context=context)
