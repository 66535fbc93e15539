"""The bank's verdict on a credential or an offline bundle (DESIGN.md §8).

`verified` is true only if every check passes: `proof` (signature, issuer = key controller, validity
dates), `issuer` (in the registry), `authority` (authorised for the kind at the entry's log time),
`key` (the signing key was valid then), `status` (not revoked, suspended or superseded — read from our
own rows, never fetched), `log` (the entry commits to this very document, and its inclusion proof holds
against a checkpoint the bank signed, consistent with the latest) and, when a national ID is given,
`identity` (compared under the accounts' keyed hash; never echoed). A check that cannot run fails
(fail closed). An unknown issuer with a valid proof is a warning, not an error, and still not verified.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.orm import Session

from credentials import bundle as bundles
from credentials.checkpoint import open_checkpoint
from credentials.dataintegrity import check_issuer_matches_controller, issuer_id, verify
from credentials.errors import CredentialError
from credentials.merkle import leaf_hash, verify_consistency, verify_inclusion
from credentials.note import Verifier
from credentials.vc import _check_validity
from ledger import accounts, institutions
from ledger.keyring import Keyring
from ledger.log import checkpoints
from ledger.log.envelope import digest_of
from ledger.log.models import LogEntry
from ledger.log.proofs import consistency_proof, inclusion_proof
from ledger.records.models import LearningRecord, RecordStatus

CHECK_IDS = ("proof", "issuer", "authority", "key", "status", "log", "identity")


@dataclass
class Check:
    """One line of the verdict."""

    id: str
    ok: bool
    severity: str  # "ok", "warning" or "error"
    message_zh: str
    message_en: str


def _ok(cid: str, en: str, zh: str) -> Check:
    return Check(cid, True, "ok", zh, en)


def _bad(cid: str, en: str, zh: str, severity: str = "error") -> Check:
    return Check(cid, False, severity, zh, en)


def _record_of(session: Session, credential: dict[str, Any]) -> LearningRecord | None:
    cid = credential.get("id")
    if not isinstance(cid, str) or not cid.startswith("urn:uuid:"):
        return None
    try:
        rid = uuid.UUID(cid.removeprefix("urn:uuid:"))
    except ValueError:
        return None
    return session.get(LearningRecord, rid)


def _named_method(credential: dict[str, Any]) -> str | None:
    """The verification method a (possibly broken) proof names, to judge the key on its own."""
    named = credential.get("proof")
    vm = named.get("verificationMethod") if isinstance(named, dict) else None
    return vm if isinstance(vm, str) else None


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def verify_document(session: Session, keyring: Keyring, log_verifier: Verifier, document: Any, *,
                    national_id: str | None = None, now: dt.datetime | None = None,
                    bank_did: str | None = None) -> dict[str, Any]:
    """The verdict on a record credential or a proof bundle; changes nothing (checkpoints aside)."""
    now = now or dt.datetime.now(dt.UTC)
    is_bundle = bundles.is_bundle(document)
    credential = document.get("credential") if is_bundle else document
    checks: list[Check] = []
    if not isinstance(credential, dict):
        credential = {}
    types = credential.get("type")
    if isinstance(types, list) and "ClrCredential" in types:
        return _verify_transcript(session, keyring, log_verifier, document if is_bundle else None, credential,
                                  national_id=national_id, now=now, bank_did=bank_did)
    record = _record_of(session, credential)

    # proof
    vm = issuer = None
    try:
        proof = verify(credential)
        check_issuer_matches_controller(credential, proof)
        issuer = issuer_id(credential)
        vm = proof.verification_method
        _check_validity(credential, now)
        checks.append(_ok("proof", "the signature is valid and the credential is within its validity period",
                          "签名有效，凭证在有效期内"))
    except CredentialError as exc:
        checks.append(_bad("proof", f"the proof does not verify: {exc}", f"签名或有效期校验未通过：{exc}"))
        try:
            issuer = issuer_id(credential)
        except CredentialError:
            issuer = None
        vm = _named_method(credential)

    # issuer
    inst = institutions.institution_for_did(session, issuer) if issuer else None
    if inst is None:
        checks.append(_bad("issuer", "the issuer is not in the bank's registry", "签发者不在学分银行的机构名录中",
                           severity="warning"))
    else:
        checks.append(_ok("issuer", f"issuer: {inst.name}", f"签发机构：{inst.name}"))

    entry = session.get(LogEntry, record.entry_index) if record is not None else None
    at = entry.time if entry is not None else None  # the log time, never a date the issuer chose

    # authority
    if inst is None or record is None or at is None:
        checks.append(_bad("authority", "cannot tell whether the issuer was authorised: no known issuer or record",
                           "无法确认签发者的授权：机构或记录未知"))
    elif record.institution_id != inst.id:
        checks.append(_bad("authority", "the record belongs to another institution", "该记录属于其他机构"))
    elif institutions.is_authorised(session, inst.id, record.kind, at):
        checks.append(_ok("authority", f"authorised for {record.kind} when the entry entered the log",
                          f"条目入账时该机构有权签发“{record.kind}”"))
    else:
        checks.append(_bad("authority", f"the issuer was not authorised for {record.kind} at the log time",
                           f"入账时该机构无权签发“{record.kind}”"))

    # key
    key = institutions.key_for_verification_method(session, vm) if vm else None
    if key is None or inst is None or at is None or key.institution_id != inst.id:
        checks.append(_bad("key", "the signing key is not a registered key of the issuer (or cannot be checked)",
                           "签名密钥不是该机构登记的密钥（或无法核对）"))
    elif key.valid_at(at):
        checks.append(_ok("key", "the signing key was valid at the log time", "入账时签名密钥有效"))
    else:
        checks.append(_bad("key", "the signing key was not valid at the log time", "入账时签名密钥无效"))

    # status
    if record is None:
        checks.append(_bad("status", "no record of the bank has this id: status unknown", "银行没有该编号的记录，状态未知"))
    elif record.status == RecordStatus.ACTIVE.value:
        checks.append(_ok("status", "not revoked or suspended", "未被撤销或暂停"))
    else:
        zh = {"revoked": "已撤销", "suspended": "已暂停", "superseded": "已被更正后的记录取代"}.get(record.status, record.status)
        checks.append(_bad("status", f"the record is {record.status}", f"该记录{zh}"))

    # log
    checks.append(_log_check(session, log_verifier, credential, issuer,
                             record.credential_digest if record is not None else None, entry,
                             document if is_bundle else None))

    # identity
    if national_id is not None:
        checks.append(_identity(session, keyring, national_id, record.account_id if record is not None else None))

    verified = all(c.ok for c in checks)
    subject = credential.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    return {
        "verified": verified,
        "kind": record.kind if record is not None else None,
        "checks": [asdict(c) for c in checks],
        "issuer": {"id": issuer, "name": inst.name if inst is not None else None,
                   "institution": inst.ref if inst is not None else None},
        "credential": {"id": credential.get("id"), "type": credential.get("type"),
                       "name": achievement.get("name") if isinstance(achievement, dict) else credential.get("name"),
                       "valid_from": credential.get("validFrom"),
                       "index": record.entry_index if record is not None else None},
        "bundle": is_bundle,
    }


def _log_check(session: Session, log_verifier: Verifier, credential: dict[str, Any], issuer: str | None,
               expected: str | None, entry: LogEntry | None, bundle: dict[str, Any] | None) -> Check:
    def bad(en: str, zh: str) -> Check:
        return _bad("log", en, zh)

    if bundle is not None:
        try:
            envelope, cp, index = bundles.check_log_proof(bundle, log_verifier)
            if envelope.get("digest") != digest_of(credential) or envelope.get("issuer") != issuer:
                return bad("the bundle's entry commits to another document", "证明包中的条目对应的是另一份文件")
            latest = checkpoints.latest_checkpoint(session)
            if latest is None or latest.size < cp.size:
                return bad("the bundle's checkpoint is not one this bank signed", "证明包的检查点不是本银行签署的")
            if latest.size > cp.size:
                proof = consistency_proof(session, cp.size, latest.size)
                verify_consistency(cp.size, latest.size, [_b64(h) for h in proof["consistency_path"]],
                                   cp.root_hash, latest.root_hash)
            elif latest.root_hash != cp.root_hash:
                return bad("the bundle's checkpoint disagrees with the bank's", "证明包的检查点与银行的不一致")
            if entry is not None and entry.index != index:
                return bad("the bundle names another entry than the record's", "证明包中的条目不是该记录的条目")
            return _ok("log", f"entry {index} is in the log (bundle checkpoint {cp.size}, consistent with "
                              f"the latest {latest.size})", f"条目 {index} 已入账（证明包检查点 {cp.size}，"
                              f"与最新检查点 {latest.size} 一致）")
        except (CredentialError, ValueError) as exc:
            return bad(f"the bundle's log proof fails: {exc}", f"证明包的日志证明未通过：{exc}")
    if expected is None or entry is None:
        return bad("no entry of the log holds this credential", "日志中没有该凭证的条目")
    if digest_of(credential) != expected:
        return bad("this is not the document the log holds (digest differs)", "该文件与日志记载的不一致（摘要不同）")
    latest = checkpoints.latest_checkpoint(session)
    if latest is None or latest.size <= entry.index:
        return bad("no signed checkpoint covers the entry yet (try again shortly)", "尚无已签署的检查点覆盖该条目，请稍后再试")
    try:
        cp = open_checkpoint(latest.note, log_verifier, log_verifier.name)
        proof = inclusion_proof(session, entry.index, cp.size)
        verify_inclusion(leaf_hash(entry.leaf), entry.index, cp.size,
                         [_b64(h) for h in proof["audit_path"]], cp.root_hash)
        envelope = json.loads(entry.leaf)
        if envelope.get("digest") != expected or envelope.get("issuer") != issuer:
            return bad("the log entry names another document or issuer", "日志条目对应另一份文件或签发者")
    except (CredentialError, ValueError) as exc:
        return bad(f"the inclusion proof fails: {exc}", f"包含性证明未通过：{exc}")
    return _ok("log", f"entry {entry.index} is in the log of size {cp.size} (signed checkpoint)",
               f"条目 {entry.index} 已在大小为 {cp.size} 的日志中（检查点已签署）")


def _identity(session: Session, keyring: Keyring, national_id: str, account_id: uuid.UUID | None) -> Check:
    found = accounts.find_by_national_id(session, keyring, national_id)
    holder = accounts.get_account(session, account_id) if account_id is not None else None
    if found is not None and holder is not None and found.id == holder.id:
        return _ok("identity", "the ID number given is the learner's", "所给身份证号与学习者一致")
    return _bad("identity", "the ID number given is not the learner's (or cannot be checked)",
                "所给身份证号与学习者不一致（或无法核对）")


def _verify_transcript(session: Session, keyring: Keyring, log_verifier: Verifier, bundle: dict[str, Any] | None,
                       credential: dict[str, Any], *, national_id: str | None, now: dt.datetime,
                       bank_did: str | None) -> dict[str, Any]:
    """A CLR transcript: signed by the bank's own key, every wrapped record still standing, in the log."""
    from ledger import bankkeys, transcript

    checks: list[Check] = []
    issuer = vm = None
    try:
        proof = verify(credential)
        check_issuer_matches_controller(credential, proof)
        issuer, vm = issuer_id(credential), proof.verification_method
        _check_validity(credential, now)
        checks.append(_ok("proof", "the bank's signature is valid", "学分银行的签名有效"))
    except CredentialError as exc:
        checks.append(_bad("proof", f"the proof does not verify: {exc}", f"签名校验未通过：{exc}"))
        try:
            issuer = issuer_id(credential)
        except CredentialError:
            issuer = None
        vm = _named_method(credential)
    is_bank = issuer is not None and issuer == bank_did
    checks.append(_ok("issuer", f"issuer: {transcript.BANK_NAME_ZH}", f"签发者：{transcript.BANK_NAME_ZH}") if is_bank
                  else _bad("issuer", "a transcript must be issued by this bank", "成绩总表须由本学分银行签发",
                            severity="warning"))
    checks.append(_ok("authority", "the bank issues transcripts", "学分银行有权签发成绩总表") if is_bank
                  else _bad("authority", "only the bank issues transcripts", "只有学分银行可签发成绩总表"))
    from credentials.didkey import did_key

    known = vm is not None and any(did_key(k.public()) == vm.split("#", 1)[0]
                                   for k in bankkeys.all_keys(session, bankkeys.BANK_PURPOSE))
    checks.append(_ok("key", "signed with a key of the bank", "使用学分银行的密钥签名") if known and is_bank
                  else _bad("key", "not signed with a key of the bank", "未使用学分银行的密钥签名"))
    subject = credential.get("credentialSubject")
    wrapped = subject.get("verifiableCredential") if isinstance(subject, dict) else None
    stale = []
    if isinstance(wrapped, list):
        for inner in wrapped:
            rec = _record_of(session, inner) if isinstance(inner, dict) else None
            if rec is None or rec.status != RecordStatus.ACTIVE.value or digest_of(inner) != rec.credential_digest:
                stale.append(inner.get("id") if isinstance(inner, dict) else None)
    if not isinstance(wrapped, list):
        checks.append(_bad("status", "the transcript lists no credentials", "成绩总表未包含凭证"))
    elif stale:
        checks.append(_bad("status", f"{len(stale)} listed record(s) no longer stand (revoked, suspended or "
                                     "corrected)", f"其中 {len(stale)} 条记录已被撤销、暂停或更正"))
    else:
        checks.append(_ok("status", f"all {len(wrapped)} records stand", f"全部 {len(wrapped)} 条记录均有效"))
    row = transcript.transcript_entry(session, str(credential.get("id")), digest_of(credential))
    entry = session.get(LogEntry, row.entry_index) if row is not None else None
    checks.append(_log_check(session, log_verifier, credential, issuer, row.digest if row else None, entry, bundle))
    account_id = None
    if isinstance(subject, dict) and isinstance(subject.get("id"), str):
        try:
            account_id = uuid.UUID(subject["id"].removeprefix("urn:uuid:"))
        except ValueError:
            account_id = None
    if national_id is not None:
        checks.append(_identity(session, keyring, national_id, account_id))
    return {
        "verified": all(c.ok for c in checks), "kind": "transcript", "checks": [asdict(c) for c in checks],
        "issuer": {"id": issuer, "name": transcript.BANK_NAME_ZH if is_bank else None, "institution": None},
        "credential": {"id": credential.get("id"), "type": credential.get("type"), "name": credential.get("name"),
                       "valid_from": credential.get("validFrom"), "index": row.entry_index if row else None,
                       "records": len(wrapped) if isinstance(wrapped, list) else 0},
        "bundle": bundle is not None,
    }
