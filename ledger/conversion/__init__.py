"""Credit conversion (学分转换): programmes, rule sets and the optimal plan. Pure, no I/O beyond data files."""

from ledger.conversion.engine import plan, plan_screened, rank, select_ruleset, total_credits
from ledger.conversion.errors import ConversionError, DataFileError, NotApplicable, SolverError
from ledger.conversion.loader import (
    default_agreements,
    default_programmes,
    default_rulesets,
    load_agreement,
    load_programme,
    load_ruleset,
)
from ledger.conversion.model import (
    Agreement,
    Line,
    LineStatus,
    Outcome,
    OutcomeKind,
    Plan,
    Programme,
    Ranking,
    RuleSet,
)

__all__ = [
    "Agreement",
    "ConversionError",
    "DataFileError",
    "Line",
    "LineStatus",
    "NotApplicable",
    "Outcome",
    "OutcomeKind",
    "Plan",
    "Programme",
    "Ranking",
    "RuleSet",
    "SolverError",
    "default_agreements",
    "default_programmes",
    "default_rulesets",
    "load_agreement",
    "load_programme",
    "load_ruleset",
    "plan",
    "plan_screened",
    "rank",
    "select_ruleset",
    "total_credits",
]
