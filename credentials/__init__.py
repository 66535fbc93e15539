"""Cryptography only: keys, canonical bytes, proofs, checkpoints, status lists. No database, no Flask."""
