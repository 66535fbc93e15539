"""Mutual recognition (学分互认): an agreement between two colleges read as conversion rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from ledger.conversion.model import (
    Agreement,
    Grant,
    GrantMode,
    Matcher,
    OutcomeKind,
    Programme,
    Rule,
)

_COURSE_CREDIT = frozenset({OutcomeKind.COURSE_CREDIT})


def agreement_rules(agreements: Iterable[Agreement], programme: Programme, as_of: date) -> tuple[Rule, ...]:
    """Rules for the agreements in force on as_of that send credits to this programme's college.

    A mapped course replaces its counterpart if the credits earned cover it (C24); other courses
    of college A (and mapped ones whose counterpart is taken) go to the agreed pool. Both then meet the same caps as any other outcome, so a
    transfer shows up in the same plan and explanation.
    """
    rules: list[Rule] = []
    for agreement in sorted(agreements, key=lambda a: (a.id, a.version)):
        if agreement.to_institution != programme.institution_id or not agreement.in_force(as_of):
            continue
        if agreement.programme_codes and programme.code not in agreement.programme_codes:
            continue
        base = Matcher(
            kinds=_COURSE_CREDIT,
            institutions=frozenset({agreement.from_institution}),
            min_score=agreement.min_score,
        )
        for mapping in agreement.mappings:
            rules.append(
                Rule(
                    id=f"{agreement.id}#course:{mapping.from_code}",
                    label_zh=f"学分互认：{mapping.from_code} → {mapping.to_code}",
                    label_en=f"Credit transfer: {mapping.from_code} → {mapping.to_code}",
                    matcher=replace(base, course_codes=frozenset({mapping.from_code})),
                    grant=Grant(
                        mode=GrantMode.COURSE,
                        course_codes=(mapping.to_code,),
                        cover=True,
                        grade_mode=mapping.grade_mode,
                    ),
                    validity_years=agreement.validity_years,
                    group=f"agreement:{agreement.id}",
                )
            )
        transfer = agreement.pool_transfer
        if transfer is not None:
            rules.append(
                Rule(
                    id=f"{agreement.id}#pool",
                    label_zh="学分互认：课程学分计入选修模块",
                    label_en="Credit transfer: course credits into an elective pool",
                    matcher=base,
                    grant=Grant(
                        mode=GrantMode.POOL,
                        per_credit=transfer.rate,
                        max_credits=transfer.max_credits,
                        pools=(transfer.slot,),
                    ),
                    limit=transfer.limit,
                    validity_years=agreement.validity_years,
                    group=f"agreement:{agreement.id}",
                )
            )
    return tuple(rules)

