"""Every model, imported in one place so that metadata (and migrations) see all tables."""

from ledger.bankkeys import BankKey
from ledger.clients import ApiClient, ApiKey
from ledger.db import Base
from ledger.log.models import LogEntry, LogHead, LogNode, SignedCheckpoint
from ledger.people import User, WebSession

__all__ = [
    "ApiClient", "ApiKey", "BankKey", "Base", "LogEntry", "LogHead", "LogNode", "SignedCheckpoint", "User",
    "WebSession",
]
