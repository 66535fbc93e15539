"""Explanations of plan lines in Chinese and English."""

from __future__ import annotations

from decimal import Decimal

from ledger.conversion.model import Programme, Rule

_REASONS: dict[str, tuple[str, str]] = {
    "already_used": ("该成果已在本专业的转换中使用过", "already used in an earlier conversion for this programme"),
    "revoked": ("该成果已被撤销或暂停", "the outcome has been revoked or suspended"),
    "not_recognised": ("该成果尚未认定", "the outcome has not been recognised (认定)"),
    "not_yet_issued": ("该成果在转换日期之后才取得（{detail}）", "the outcome was issued after the conversion date ({detail})"),
    "own_expiry": ("证书已于 {detail} 过期", "the certificate expired on {detail}"),
    "rule_expired": (
        "已超过规则 {rule} 的有效期（至 {detail}）",
        "past the validity period of rule {rule} (until {detail})",
    ),
    "no_target": (
        "规则 {rule} 适用，但本专业没有可替代的课程或可计入的模块",
        "rule {rule} applies, but this programme has no course or pool it may fill",
    ),
    "no_rule": ("本规则集没有适用于该成果的规则", "no rule of this rule set applies to the outcome"),
}

_CAPS: dict[str, tuple[str, str]] = {
    "courses": ("可替代的课程已由其他成果替代", "the courses it could replace are replaced by other outcomes"),
    "total": ("已达转换学分占总学分的上限", "the cap on converted credits as a share of the programme is reached"),
    "category": ("“{name}”类课程的转换上限已满", "the cap for {name} courses is reached"),
    "pool": ("模块“{name}”已满", "the pool {name} is full"),
    "rule": ("规则 {name} 的上限已满", "the cap of rule {name} is reached"),
    "source": ("“{name}”类成果的上限已满", "the cap for {name} outcomes is reached"),
}

_CATEGORY_ZH = {
    "public": "公共基础",
    "foundation": "专业基础",
    "core": "专业核心",
    "elective": "选修",
    "practice": "实践",
    "graduation": "毕业设计",
}


def reason(code: str, rule_id: str | None = None, detail: str = "") -> tuple[str, str]:
    """Explanation of why an outcome does not convert, before optimisation."""
    zh, en = _REASONS[code]
    return zh.format(rule=rule_id, detail=detail), en.format(rule=rule_id, detail=detail)


def capped(keys: list[tuple[str, str]], granted: Decimal) -> tuple[str, str]:
    """Explanation of an outcome that caps or taken courses cut, possibly to nothing."""
    zh_parts, en_parts = [], []
    for kind, name in keys:
        zh, en = _CAPS[kind]
        zh_parts.append(zh.format(name=_CATEGORY_ZH.get(name, name)))
        en_parts.append(en.format(name=name))
    zh_head = f"受上限限制，仅计 {granted} 学分" if granted else "受上限限制，未计学分"
    en_head = f"capped: {granted} credits granted" if granted else "capped: no credits granted"
    if not keys:  # every cap has room, yet a better use of them exists elsewhere
        zh_parts, en_parts = ["其他成果的组合可计更多学分"], ["other outcomes make better use of the caps"]
    return f"{zh_head}：{'；'.join(zh_parts)}", f"{en_head}: {'; '.join(en_parts)}"


def courses(rule: Rule, programme: Programme, codes: tuple[str, ...], credits: Decimal, grade: str) -> tuple[str, str]:
    """Explanation of a course replacement (免修免考)."""
    names = "、".join(f"{programme.course(c).name}（{c}）" for c in codes)
    en_names = ", ".join(f"{c} {programme.course(c).name}" for c in codes)
    return (
        f"按规则 {rule.id}「{rule.label_zh}」免修免考 {names}，计 {credits} 学分，成绩记“{grade}”",
        f"rule {rule.id} ({rule.label_en}): replaces {en_names}, {credits} credits, grade '{grade}'",
    )


def pool(rule: Rule, name: str, credits: Decimal) -> tuple[str, str]:
    """Explanation of credits into an elective pool."""
    return (
        f"按规则 {rule.id}「{rule.label_zh}」计入“{name}”{credits} 学分",
        f"rule {rule.id} ({rule.label_en}): {credits} credits into the pool {name}",
    )


def waiver(rule: Rule, programme: Programme, code: str) -> tuple[str, str]:
    """Explanation of a waiver without credit."""
    name = programme.course(code).name
    return (
        f"按规则 {rule.id}「{rule.label_zh}」免修 {name}（{code}），不计学分，学分以选修课补足",
        f"rule {rule.id} ({rule.label_en}): {code} {name} waived without credit; make the credits up with electives",
    )


def superseded(other: str, duplicate: bool) -> tuple[str, str]:
    """Explanation of an outcome whose exclusivity group converted another outcome."""
    if duplicate:
        return f"与已转换的成果 {other} 相同，不重复计算", f"same achievement as {other}, which converted; counted once"
    return (
        f"同一职业/赛事/证书系列只转换一项，已转换 {other}",
        f"only one outcome per occupation, event or certificate series converts; {other} did",
    )
