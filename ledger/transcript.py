"""A learner's transcript: a CLR 2.0 `ClrCredential` signed by the bank's key (eddsa-rdfc-2022) wrapping
the account's current record credentials exactly as signed, entered in the log (kind `transcript`).

A transcript is made again only when the set of current records changed; otherwise the last one is
served, so reading a transcript does not grow the log.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from credentials.dataintegrity import sign
from credentials.didkey import verification_method
from ledger import bankkeys
from ledger.accounts import Account, merged_ids
from ledger.db import begin_write, utcnow
from ledger.documents import EntryDocument, record_action, timestamp
from ledger.keyring import Keyring
from ledger.records.models import LearningRecord, RecordStatus

CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
BANK_NAME_ZH = "求学圆梦学分银行"
ENTRY_KIND = "transcript"


def object_ref(account: Account) -> str:
    """What the transcript entries of an account are filed under (privately, beside the entry)."""
    return f"{account.ref}/transcript"


def current_records(session: Session, account: Account) -> list[LearningRecord]:
    """The account's records that stand (not revoked, suspended or superseded), in log order."""
    return list(session.scalars(sa.select(LearningRecord).where(
        LearningRecord.account_id.in_(merged_ids(session, account.id)),
        LearningRecord.status == RecordStatus.ACTIVE.value).order_by(LearningRecord.entry_index)))


def transcript_for(session: Session, keyring: Keyring, bank_did: str, account: Account) -> tuple[dict[str, Any], int]:
    """The account's current transcript and its entry index (made and entered when the records changed)."""
    records = current_records(session, account)
    ids = [r.ref for r in records]
    last = session.scalars(sa.select(EntryDocument).where(EntryDocument.object_ref == object_ref(account))
                           .order_by(EntryDocument.entry_index.desc()).limit(1)).first()
    if last is not None and [c.get("id") for c in
                             last.document["credentialSubject"]["verifiableCredential"]] == ids:
        return last.document, last.entry_index
    begin_write(session)
    key = bankkeys.active_key(session, bankkeys.BANK_PURPOSE, bankkeys.BANK_NAME)
    assert key is not None, "the bank key is made before (api.context.bank_did)"
    private = key.private(keyring)
    now = utcnow().replace(microsecond=0)
    unsigned = {
        "@context": [VC_CONTEXT, CLR_CONTEXT, OB_CONTEXT],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "ClrCredential"],
        "issuer": {"id": bank_did, "type": ["Profile"], "name": BANK_NAME_ZH},
        "validFrom": timestamp(now),
        "name": "学习成果总表 Learning transcript",
        "credentialSubject": {"id": account.ref, "type": ["ClrSubject"],
                              "verifiableCredential": [r.credential for r in records]},
    }
    signed = sign(unsigned, private, verification_method=verification_method(private.public_key()),
                  created=now.astimezone(dt.UTC))
    entry = record_action(session, kind=ENTRY_KIND, subject_ref=account.ref, issuer=bank_did,
                          actor="system:transcript", object_ref=object_ref(account), document=signed)
    session.flush()
    return signed, entry.index


def transcript_entry(session: Session, credential_id: str, digest: str) -> EntryDocument | None:
    """The entry document of a transcript with this id and digest (None if the bank never entered it)."""
    row = session.scalar(sa.select(EntryDocument).where(EntryDocument.kind == ENTRY_KIND,
                                                         EntryDocument.digest == digest))
    if row is None or row.document.get("id") != credential_id:
        return None
    return row
