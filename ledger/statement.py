"""A printable learning-account statement (学习账户对账单) as PDF, in Chinese, with the WenQuanYi Micro Hei
font (fonts-wqy-microhei) embedded; optionally a QR code to a share link."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from ledger.records.models import LearningRecord

FONT_PATHS = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",)
FONT = "WenQuanYiMicroHei"
_STATUS_ZH = {"active": "有效", "revoked": "已撤销", "suspended": "已暂停", "superseded": "已更正"}


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        path = next((p for p in FONT_PATHS if Path(p).exists()), None)
        if path is None:
            raise RuntimeError("CJK font missing: install fonts-wqy-microhei")
        pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=0))
    return FONT


def _name(record: LearningRecord) -> str:
    subject = record.credential.get("credentialSubject", {})
    ach = subject.get("achievement", {}) if isinstance(subject, dict) else {}
    return str(ach.get("name") or record.external_ref)


def render_statement(*, holder: str, account_ref: str, card_number: str | None, records: Sequence[LearningRecord],
                     issuers: dict[str, str], generated_at: str, share_url: str | None = None) -> bytes:
    """The statement PDF bytes."""
    font = _font()
    buf = io.BytesIO()
    pdf = Canvas(buf, pagesize=A4, pageCompression=1)
    pdf.setTitle("学习账户对账单")
    width, height = A4
    y = height - 60

    def line(text: str, size: float = 10, x: float = 50) -> None:
        nonlocal y
        if y < 60:
            pdf.showPage()
            y = height - 60
        pdf.setFont(font, size)
        pdf.drawString(x, y, text)
        y -= size + 6

    line("求学圆梦学分银行 · 学习账户对账单", 16)
    line(f"学习者：{holder}    账户：{account_ref}", 10)
    if card_number:
        line(f"卡号：{card_number}", 10)
    line(f"生成时间：{generated_at}    记录数：{len(records)}", 10)
    if share_url:
        qr = QrCodeWidget(share_url)
        x0, y0, x1, y1 = qr.getBounds()
        size = 90.0
        drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
        drawing.add(qr)
        renderPDF.draw(drawing, pdf, width - 50 - size, height - 50 - size)
        pdf.setFont(font, 7)
        pdf.drawString(width - 50 - size, height - 60 - size, "扫码在线验证")
    y -= 10
    line("序号  日期        类型              名称 / 签发机构 / 学分 / 状态", 10)
    for n, record in enumerate(records, 1):
        credits = f"{record.credits}" if record.credits is not None else "—"
        line(f"{n:>3}  {record.occurred_on.isoformat()}  {record.kind:<16}  {_name(record)}", 10)
        line(f"签发：{issuers.get(str(record.institution_id), '')}  学分：{credits}  状态："
             f"{_STATUS_ZH.get(record.status, record.status)}  日志条目：#{record.entry_index}", 8, x=70)
    y -= 6
    line("每条记录均为签发机构签名的开放徽章凭证，并已记入学分银行的透明日志；可在 /api/v1/verify 在线验证。", 8)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()
