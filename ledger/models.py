"""Every model, imported in one place so that metadata (and migrations) see all tables."""

from ledger.clients import ApiClient, ApiKey
from ledger.db import Base
from ledger.people import User, WebSession

__all__ = ["ApiClient", "ApiKey", "Base", "User", "WebSession"]
