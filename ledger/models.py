"""Every model, imported in one place so that metadata (and migrations) see all tables."""

from ledger.accounts import Account, AccountAccess, AccountOpening
from ledger.bankkeys import BankKey
from ledger.clients import ApiClient, ApiKey
from ledger.conversion_store import Conversion, PublishedRuleSet
from ledger.db import Base
from ledger.documents import EntryDocument
from ledger.institutions import Authorisation, Institution, InstitutionKey
from ledger.log.models import LogEntry, LogHead, LogNode, SignedCheckpoint
from ledger.people import User, WebSession
from ledger.records.models import IdempotencyKey, LearningRecord, StatusList
from ledger.shares import Share, ShareView
from ledger.subsidies import models as subsidy_models  # noqa: F401  (subsidy tables in the metadata)

__all__ = [
    "Account", "AccountAccess", "AccountOpening", "ApiClient", "ApiKey", "Authorisation", "BankKey", "Base",
    "Conversion", "EntryDocument", "IdempotencyKey", "Institution", "InstitutionKey", "LearningRecord", "LogEntry",
    "LogHead", "LogNode", "PublishedRuleSet", "Share", "ShareView", "SignedCheckpoint", "StatusList", "User",
    "WebSession",
]
