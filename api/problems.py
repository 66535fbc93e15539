"""RFC 9457 problem+json: the one place where errors become HTTP responses."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

from credentials.errors import CredentialError
from ledger.errors import (
    Conflict,
    FieldProblem,
    Forbidden,
    Invalid,
    LedgerError,
    Locked,
    NotFound,
    Unauthenticated,
)

PROBLEM_TYPE_BASE = "https://creditbank.example/problems/"

STATUS_OF: dict[type[LedgerError], int] = {
    NotFound: 404,
    Forbidden: 403,
    Unauthenticated: 401,
    Invalid: 422,
    Conflict: 409,
    Locked: 423,
}

# marshmallow/webargs speak English; people reading our errors may not. The common messages, in Chinese.
_ZH = {
    "Missing data for required field.": "缺少必填字段。",
    "Unknown field.": "未知字段。",
    "Not a valid string.": "不是有效的字符串。",
    "Not a valid integer.": "不是有效的整数。",
    "Not a valid number.": "不是有效的数字。",
    "Not a valid boolean.": "不是有效的布尔值。",
    "Not a valid date.": "不是有效的日期。",
    "Not a valid datetime.": "不是有效的日期时间。",
    "Not a valid UUID.": "不是有效的 UUID。",
    "Not a valid list.": "不是有效的列表。",
    "Not a valid mapping type.": "不是有效的对象。",
    "Field may not be null.": "字段不能为空值。",
    "Invalid input type.": "输入类型无效。",
    "Must be one of:": "必须是以下之一：",
    "Must be greater than or equal to": "必须大于或等于",
    "Must be less than or equal to": "必须小于或等于",
    "Shorter than minimum length": "短于最小长度",
    "Longer than maximum length": "超过最大长度",
    "Length must be between": "长度必须介于",
    "Invalid value.": "值无效。",
    "Not a valid urn:uuid identifier.": "不是有效的 urn:uuid 标识符。",
    "Control characters are not allowed.": "不允许使用控制字符。",
    "Not valid Unicode text (lone surrogate).": "不是有效的 Unicode 文本。",
    "String does not match expected pattern.": "格式不符合要求。",
    "Not a decimal string in the allowed range (pattern": "不是允许范围内的十进制数字字符串（格式",
    'Send this quantity as a decimal string, e.g. "3.5".': '请以十进制数字字符串提交此数量，如 "3.5"。',
    "Does not match the pattern": "不符合格式",
    "ended_on is before started_on.": "结束日期早于开始日期。",
}

_TITLES = {
    400: ("Bad request", "请求有误"),
    401: ("Authentication required", "需要身份验证"),
    403: ("Forbidden", "无权操作"),
    404: ("Not found", "未找到"),
    405: ("Method not allowed", "不允许的请求方法"),
    409: ("Conflict", "冲突"),
    413: ("Request too large", "请求过大"),
    415: ("Unsupported media type", "不支持的媒体类型"),
    422: ("Invalid request", "请求内容无效"),
    423: ("Locked", "已锁定"),
    428: ("Precondition required", "缺少前提条件"),
    429: ("Too many requests", "请求过于频繁"),
    500: ("Internal error", "内部错误"),
    503: ("Service unavailable", "服务不可用"),
}


def translate(message: str) -> str:
    """Chinese for a marshmallow/webargs message, keeping any detail after a known prefix."""
    if message in _ZH:
        return _ZH[message]
    for en, zh in _ZH.items():
        if en.endswith(":") or not en.endswith("."):
            if message.startswith(en):
                return zh + message[len(en):]
    return message


def _flatten(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            out.extend(_flatten(value, path))
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            out.extend((prefix or "_schema", m) for m in messages)
        else:
            for m in messages:
                out.extend(_flatten(m, prefix))
    else:
        out.append((prefix or "_schema", str(messages)))
    return out


def webargs_field_problems(messages: dict[str, Any]) -> list[dict[str, str]]:
    """Field problems from webargs' `{location: {field: [msgs]}}` shape, with the location kept."""
    out = []
    for location, fields in messages.items():
        for path, msg in _flatten(fields):
            out.append({"location": location, "field": path, "message": msg, "message_zh": translate(msg)})
    return out


def problem(
    status: int,
    detail: str | None = None,
    *,
    detail_zh: str | None = None,
    code: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """Build an `application/problem+json` response."""
    title, title_zh = _TITLES.get(status, (HTTPException(None).name if status >= 400 else "Error", "错误"))
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + (code or str(status)),
        "title": title,
        "title_zh": title_zh,
        "status": status,
    }
    if detail:
        body["detail"] = detail
        body["detail_zh"] = detail_zh or detail
    try:
        body["instance"] = request.path
    except RuntimeError:
        pass
    if errors:
        body["errors"] = errors
    body.update(extra)
    resp = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/problem+json")
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def _fields(fields: list[FieldProblem]) -> list[dict[str, str]]:
    return [{"field": f.field, "message": f.message_en, "message_zh": f.message_zh} for f in fields]


def from_ledger_error(err: LedgerError) -> Response:
    """Map a domain error to its status and body."""
    status = next((s for cls, s in STATUS_OF.items() if isinstance(err, cls)), 400)
    headers = {"WWW-Authenticate": 'Bearer realm="creditbank"'} if status == 401 else None
    return problem(status, err.message_en, detail_zh=err.message_zh, code=err.code,
                   errors=_fields(err.fields) or None, headers=headers)


def from_http_exception(err: HTTPException) -> Response:
    """Map werkzeug/flask-smorest aborts (404, 405, 422 from webargs, 429 …) to problem+json."""
    status = err.code or 500
    data = getattr(err, "data", None) or {}
    errors = None
    if isinstance(data.get("messages"), dict):
        errors = webargs_field_problems(data["messages"])
    headers = dict(data.get("headers") or {})
    if status == 405 and getattr(err, "valid_methods", None):
        # flask-smorest drops werkzeug's Allow header; RFC 9110 requires it on 405.
        headers["Allow"] = ", ".join(err.valid_methods)  # type: ignore[attr-defined]
    if status == 429 and hasattr(err, "retry_after"):
        pass
    detail = err.description if status != 422 else "the request has invalid fields"
    detail_zh = "请求中有无效字段" if status == 422 else None
    resp = problem(status, detail, detail_zh=detail_zh, code=str(status), errors=errors, headers=headers)
    if err.response is not None and status == 429:
        for k, v in err.response.headers.items():
            if k.lower().startswith(("x-ratelimit", "retry-after")):
                resp.headers[k] = v
    return resp


def install(app: Flask) -> None:
    """Register the error handlers on the app (API and pages alike speak problem+json for errors)."""

    @app.errorhandler(LedgerError)
    def _ledger(err: LedgerError) -> Response:
        return from_ledger_error(err)

    @app.errorhandler(CredentialError)
    def _credential(err: CredentialError) -> Response:
        return problem(422, str(err), detail_zh="凭证无效：" + str(err), code="credential-invalid")

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> Response:
        return from_http_exception(err)

    @app.errorhandler(Exception)
    def _crash(err: Exception) -> Response:
        app.logger.exception("unhandled error", exc_info=err)
        return problem(500, "an internal error occurred; nothing was changed", detail_zh="发生内部错误，未作任何更改")
