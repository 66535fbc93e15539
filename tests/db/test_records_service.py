"""The records service on both databases: all-or-nothing batches, the log time as the moment of authority,
no per-record queries, status lists that fill up, and the stored outcome's form."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import current_app

from api.context import bank_did
from ledger import institutions
from ledger.log import tree_head
from ledger.principal import SYSTEM, Principal
from ledger.records import service, statuslists
from ledger.records.models import LearningRecord, StatusList
from ledger.roles import Role
from schemas.records import RecordIn
from tests.factories import account, institution, record_body

PUBLIC = "http://127.0.0.1:8000"


def _actor(inst_id: uuid.UUID) -> Principal:
    return Principal(kind="client", id=uuid.uuid4(), name="教务处", roles=(Role.INSTITUTION,), institution_id=inst_id)


def _items(account_id: Any, kinds: list[str]) -> list[service.PostItem]:
    return [service.PostItem(RecordIn().load(record_body(account_id, k))) for k in kinds]


def _post(session: Any, actor: Principal, items: list[service.PostItem], partial: bool = False) -> list[service.Result]:
    return service.post_records(session, current_app.extensions["creditbank.keyring"], actor, items, partial=partial,
                                public_url=PUBLIC, bank_did=bank_did())


def _count(session: Any) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(LearningRecord)))


def test_a_batch_that_is_not_partial_writes_nothing_if_one_record_is_refused(db_session: Any) -> None:
    inst = institution("college")
    acc = account()
    items = _items(acc.id, ["course_credit", "degree", "training"])
    items[1].record = {**items[1].record, "account": uuid.uuid4()}  # type: ignore[dict-item]
    size = tree_head(db_session)[0]
    results = _post(db_session, _actor(inst.id), items)
    assert [r.ok for r in results] == [False, False, False]
    assert [bool(r.problems) for r in results] == [False, True, False]
    db_session.rollback()
    assert tree_head(db_session)[0] == size and _count(db_session) == 0
    results = _post(db_session, _actor(inst.id), items, partial=True)
    db_session.commit()
    assert [r.ok for r in results] == [True, False, True] and _count(db_session) == 2


def test_authority_is_judged_at_the_log_time(db_session: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    ends = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)
    inst = institution("training_body", authorised_kinds=["online_course"],
                       authorised_from=ends - dt.timedelta(days=365))
    institutions.grant_authorisation(db_session, SYSTEM, bank_did(), inst.id, kind="training",
                                     valid_from=ends - dt.timedelta(days=365), valid_until=ends)
    db_session.commit()
    acc = account()
    # the service's own clock says the window is still open; the entries get the real (later) time
    monkeypatch.setattr(service, "utcnow", lambda: ends - dt.timedelta(seconds=5))
    size = tree_head(db_session)[0]
    results = _post(db_session, _actor(inst.id), _items(acc.id, ["online_course", "training"]))
    assert not any(r.ok for r in results) and results[1].code == "forbidden"
    assert "(the log time)" in results[1].problems[0].message_en
    db_session.rollback()
    assert tree_head(db_session)[0] == size
    results = _post(db_session, _actor(inst.id), _items(acc.id, ["online_course", "training"]), partial=True)
    db_session.commit()
    assert [r.ok for r in results] == [True, False]
    assert tree_head(db_session)[0] == size + 1 and _count(db_session) == 1


def _statements(session: Any, run: Any) -> int:
    engine = session.get_bind().engine if hasattr(session.get_bind(), "engine") else session.get_bind()
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        run()
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_posting_costs_the_same_queries_for_ten_or_three_hundred_records(db_session: Any) -> None:
    inst = institution("college", authorised_kinds=["course_credit", "training", "degree"])
    actor = _actor(inst.id)
    accounts_ = [account() for _ in range(30)]
    _post(db_session, actor, _items(accounts_[0].id, ["course_credit"]))  # the lists exist from here on
    db_session.commit()
    small = [service.PostItem(RecordIn().load(record_body(accounts_[i % 30].id, "course_credit"))) for i in range(10)]
    large = [service.PostItem(RecordIn().load(record_body(accounts_[i % 30].id, ["training", "degree"][i % 2])))
             for i in range(300)]
    few = _statements(db_session, lambda: _post(db_session, actor, small))
    db_session.commit()
    many = _statements(db_session, lambda: _post(db_session, actor, large))
    db_session.commit()
    assert many <= few + 2 and many < 40, (few, many)  # log nodes may add one insert
    assert _count(db_session) == 311


def test_a_full_list_is_followed_by_a_new_one(db_session: Any) -> None:
    inst = institution("college")
    keyring = current_app.extensions["creditbank.keyring"]
    key = inst.current_key()
    now = dt.datetime.now(dt.UTC)
    [(first, index)] = statuslists.allocate(db_session, keyring, key, "revocation", 1, PUBLIC, now)
    assert index == 0 and first.size == 131072 and first.url == f"{PUBLIC}/api/v1/status/urn:uuid:{first.id}"
    first.next_index = first.size - 2
    pairs = statuslists.allocate(db_session, keyring, key, "revocation", 5, PUBLIC, now)
    assert [(row.id == first.id, i) for row, i in pairs] == [(True, 131070), (True, 131071), (False, 0), (False, 1),
                                                             (False, 2)]
    db_session.commit()
    lists = db_session.scalars(sa.select(StatusList).where(StatusList.key_id == key.id)).all()
    assert len(lists) == 2 and all(lst.signed["issuer"] == key.did for lst in lists)


def test_the_stored_outcome_is_wire_json_with_plain_decimals(db_session: Any) -> None:
    typed = {"credits": Decimal("2.50"), "hours": Decimal("1E+2"), "started_on": dt.date(2024, 3, 1), "term": None,
             "passed": True, "level": 3}
    assert service.outcome_json(typed) == {"credits": "2.5", "hours": "100", "started_on": "2024-03-01",
                                           "passed": True, "level": 3}
