"""Eligibility as pure functions: facts in, the named rules that fail out (with zh/en reasons).

Facts come from two places: the ledger (enrolment record: education level and enrolment date; birth date
from the account's national ID) and the applicant's declarations/attachments (union membership, post,
labour contract start, civil-servant status, employer union dues).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ledger.subsidies.policies import POSTS, Policy


@dataclass(frozen=True)
class Facts:
    """What is known about one applicant for one claim."""

    birth_date: dt.date | None
    enrolled_on: dt.date | None
    education_level: str | None
    union_member: bool = False
    post: str | None = None
    contract_start: dt.date | None = None
    civil_servant: bool = False
    employer_paid_dues: bool = False
    agricultural_hukou: bool = False


@dataclass(frozen=True)
class Failure:
    """One rule that fails, with its reason in both languages."""

    rule: str
    message_en: str
    message_zh: str


def age_on(birth: dt.date, day: dt.date) -> int:
    """Completed years on `day` (a person born 29 Feb turns a year older on 1 Mar in common years)."""
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` later (29 Feb → 28 Feb in common years)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def contract_years_ok(start: dt.date, on: dt.date, years: int) -> bool:
    """A contract started on `start` has lasted at least `years` whole years on `on` (exactly a year counts)."""
    return add_years(start, years) <= on


def check_rule(rule: dict[str, Any], policy: Policy, f: Facts) -> Failure | None:
    """Evaluate one named rule of the policy against the facts."""
    name = rule["name"]
    if name == "union_member" and not f.union_member:
        return Failure(name, "the applicant must be a union member", "申请人须为工会会员")
    if name == "frontline_post":
        limit = POSTS.index(rule.get("max_post", "workshop_director"))
        if f.post is None or f.post not in POSTS or POSTS.index(f.post) > limit:
            return Failure(name, "the post must be a frontline post up to workshop director",
                           "岗位须为车间（工段、科室）主任（含）以下的一线岗位")
    if name == "adult_on_enrolment":
        need = rule.get("min_age", 18)
        if f.birth_date is None or f.enrolled_on is None or age_on(f.birth_date, f.enrolled_on) < need:
            return Failure(name, f"the applicant must be at least {need} on the enrolment date",
                           f"入学之日申请人须年满{need}周岁")
    if name == "contract_one_year":
        need = rule.get("min_years", 1)
        if f.contract_start is None or not contract_years_ok(f.contract_start, policy.published_on, need):
            return Failure(name, f"the labour contract must have lasted {need} year(s) by the publication date "
                           f"{policy.published_on.isoformat()}",
                           f"截至政策发布日{policy.published_on.isoformat()}劳动合同须满{need}年")
    if name == "new_enrolment_in_year" and (f.enrolled_on is None or f.enrolled_on.year != policy.year):
        return Failure(name, f"only new enrolments of {policy.year} are covered",
                       f"仅限{policy.year}年新入学")
    if name == "education_level_covered" and f.education_level not in policy.education_levels:
        return Failure(name, "this education level is not covered by the policy", "该学历层次不在补助范围内")
    if name == "not_civil_servant" and f.civil_servant:
        return Failure(name, "civil servants are not covered", "公务员不在补助范围内")
    if name == "employer_paid_dues" and not f.employer_paid_dues:
        return Failure(name, "the employer must have paid union dues", "所在单位须已缴纳工会经费")
    if name == "agricultural_hukou" and not f.agricultural_hukou:
        return Failure(name, "an agricultural household registration is required", "须为农业户籍")
    return None


def failures(policy: Policy, facts: Facts) -> list[Failure]:
    """Every failing rule of the policy, in the policy's order (empty: eligible)."""
    out = []
    for rule in policy.rules:
        failed = check_rule(rule, policy, facts)
        if failed is not None:
            out.append(failed)
    return out
