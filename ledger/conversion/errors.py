"""Errors of the conversion engine and its data files."""

from __future__ import annotations


class ConversionError(Exception):
    """Base of every error the conversion package raises."""


class NotApplicable(ConversionError):
    """The rule set is not in force on the date, or does not cover the programme."""


class DataFileError(ConversionError):
    """A data file failed validation; `fields` maps dotted field paths to messages."""

    def __init__(self, source: str, fields: dict[str, list[str]]) -> None:
        self.source = source
        self.fields = fields
        detail = "; ".join(f"{path}: {' '.join(msgs)}" for path, msgs in sorted(fields.items()))
        super().__init__(f"{source}: {detail}")


class SolverError(ConversionError):
    """The optimiser failed to prove optimality (should not happen on valid input)."""
