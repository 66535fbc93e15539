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
    "Account", "AccountAccess", "AccountOpening", "Authorisation", "EntryDocument", "Institution",
    "InstitutionKey",
    "ApiClient", "ApiKey", "BankKey", "Base", "IdempotencyKey", "LearningRecord", "LogEntry", "LogHead", "LogNode",
    "SignedCheckpoint", "Share", "ShareView", "StatusList", "User", "WebSession",
    "ApiClient", "ApiKey", "Conversion", "PublishedRuleSet", "BankKey", "Base", "IdempotencyKey", "LearningRecord", "LogEntry", "LogHead", "LogNode",
    "SignedCheckpoint", "StatusList", "User", "WebSession",
]
