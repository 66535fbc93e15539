"""The transparency log: append entries, read proofs, sign checkpoints, audit."""

from ledger.log.append import AppendedEntry, NewEntry, append_entries, tree_head
from ledger.log.envelope import digest_of

__all__ = ["AppendedEntry", "NewEntry", "append_entries", "digest_of", "tree_head"]
