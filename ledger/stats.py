"""Statistics for the operator page: accounts, records by kind and region, credits converted."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup, escape
from sqlalchemy.orm import Session


def statistics(session: Session) -> dict[str, Any]:
    """Counts and the series the charts draw (label, value), largest first."""
    from ledger.accounts import Account
    from ledger.institutions import Institution
    from ledger.records.models import LearningRecord

    accounts = session.scalar(sa.select(sa.func.count()).select_from(Account)) or 0
    records = session.scalar(sa.select(sa.func.count()).select_from(LearningRecord)) or 0
    by_kind = session.execute(sa.select(LearningRecord.kind, sa.func.count()).group_by(LearningRecord.kind)).all()
    by_region = session.execute(sa.select(Institution.region_code, sa.func.count()).select_from(LearningRecord).join(
        Institution, Institution.id == LearningRecord.institution_id).group_by(Institution.region_code)).all()
    credits = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LearningRecord.credits), 0)).where(
        LearningRecord.status == "active")) or Decimal(0)
    by_status = session.execute(sa.select(LearningRecord.status, sa.func.count()).group_by(LearningRecord.status)).all()

    def ordered(rows: Any) -> list[tuple[str, float]]:
        return sorted(((str(k), float(v)) for k, v in rows), key=lambda kv: (-kv[1], kv[0]))

    return {"accounts": accounts, "records": records, "credits": Decimal(credits),
            "charts": {"kind": ordered(by_kind), "region": ordered(by_region), "status": ordered(by_status)}}


def bar_chart(series: list[tuple[str, float]], width: int = 320, bar: int = 18) -> Markup:
    """A horizontal bar chart as inline SVG (no script), with a title per bar for screen readers."""
    top = max((v for _, v in series), default=0) or 1
    label_w = 120
    height = max(1, len(series)) * (bar + 6)
    parts = [f'<svg role="img" viewBox="0 0 {width} {height}" width="100%" xmlns="http://www.w3.org/2000/svg">']
    for i, (label, value) in enumerate(series):
        y = i * (bar + 6)
        w = int((width - label_w - 50) * value / top)
        lab, val = escape(label), escape(f"{value:g}")
        parts.append(f'<g><title>{lab}: {val}</title><text x="0" y="{y + bar - 4}" font-size="12">{lab}</text>'
                     f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar}" fill="#1d5fa8"></rect>'
                     f'<text x="{label_w + w + 4}" y="{y + bar - 4}" font-size="12">{val}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 — every text piece above is escaped
