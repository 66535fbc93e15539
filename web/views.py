"""The page views. Each calls ledger services with the logged-in person's Principal."""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import json
import secrets
import uuid
from collections.abc import Callable
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from flask import abort, current_app, g, make_response, redirect, render_template, request, session, url_for
from flask_babel import get_locale, refresh
from flask_babel import gettext as _
from marshmallow import ValidationError, fields, validate
from werkzeug.wrappers import Response

from api.auth import SESSION_COOKIE, password_hasher, state
from api.context import bank_did, keyring
from api.extensions import db
from ledger import conversions, people, stats
from ledger.errors import LedgerError
from ledger.principal import Principal
from ledger.records import service
from ledger.roles import Role
from schemas.records import (
    OUTCOME_SCHEMAS,
    CsvError,
    Day,
    StrictBoolean,
    load_batch,
    parse_records_csv,
    record_from_fields,
    row_number,
)
from web import LANG_COOKIE, LOCALES, bp
from web.verdict import share_token, verdict_for

F = TypeVar("F", bound=Callable[..., Any])


# --------------------------------------------------------------------------- helpers


def _zh() -> bool:
    return str(get_locale()).startswith("zh")


def error_text(err: LedgerError) -> list[str]:
    """A service error as lines in the page language: the summary, then each field problem."""
    zh = _zh()
    lines = [err.message_zh if zh else err.message_en]
    for p in err.fields:
        lines.append(f"{p.field}: {p.message_zh if zh else p.message_en}")
    return lines


def _csrf_token() -> str:
    """The CSRF token of the page: the login session's, or (before login) one kept in the signed cookie."""
    ws = g.get("web_session")
    if ws is not None:
        return str(ws.csrf_token)
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return str(session["csrf"])


def _check_csrf() -> None:
    sent = request.form.get("csrf_token", "") or request.headers.get("X-CSRF-Token", "")
    if not sent or not hmac.compare_digest(sent, _csrf_token()):
        abort(400, description="CSRF")


def kind_label(kind: str) -> str:
    """A record kind in the page language."""
    labels = {
        "course_credit": _("Course credits"), "skill_level": _("Skill level certificates"),
        "vocational_qualification": _("Vocational qualifications"), "training": _("Training certificates"),
        "competition_award": _("Competition awards"), "practice": _("Practice and work experience"),
        "online_course": _("Online courses"), "enterprise_course": _("Enterprise courses"),
        "non_degree_cert": _("Non-degree certificates"), "degree": _("Diplomas"), "enrolment": _("Enrolments"),
        "honour": _("Honours"),
    }
    return labels.get(kind, kind)


def record_title(r: Any) -> str:
    """What a record is about, from its outcome."""
    o = r.outcome or {}
    for key in ("name", "title", "course_name", "certificate_name", "programme_name", "occupation_name"):
        if isinstance(o.get(key), str) and o[key]:
            return str(o[key])
    return str(r.external_ref)


@bp.app_context_processor
def _inject() -> dict[str, Any]:
    return {"csrf_token": _csrf_token, "me": g.get("me"), "lang": "zh-CN" if _zh() else "en",
            "kind_label": kind_label, "record_title": record_title}


@bp.before_app_request
def _load_person() -> None:
    """Resume the login session from the cookie (pages only; the API does its own)."""
    refresh()  # the locale is cached on the app context, which may outlive one request
    g.me = None
    g.web_session = None
    if request.path.startswith("/api/"):
        return
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return
    try:
        ws = people.resume_session(db.session, token)
    except LedgerError:
        db.session.rollback()
        return
    db.session.commit()
    g.web_session = ws
    g.me = ws.user


def page(*roles: Role) -> Callable[[F], F]:
    """The page needs a logged-in person with one of `roles`; POSTs need the CSRF token."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if g.me is None:
                return redirect(url_for("web.login", next=request.path))
            who: Principal = g.me.principal()
            if roles and not who.has(*roles):
                return render_template("forbidden.html"), 403
            if request.method == "POST":
                _check_csrf()
            return view(who, *args, **kwargs)

        return cast(F, wrapper)

    return decorate


# --------------------------------------------------------------------------- public pages


@bp.route("/")
def landing() -> str:
    return render_template("landing.html")


@bp.route("/lang/<code>")
def language(code: str) -> Response:
    if code not in LOCALES:
        abort(404)
    nxt = request.args.get("next") or "/"
    if not nxt.startswith("/") or nxt.startswith("//"):
        nxt = "/"
    resp = redirect(nxt)
    resp.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="Lax", httponly=True)
    return resp


_HOME = ((Role.OPERATOR, "web.operator"), (Role.INSTITUTION, "web.console"), (Role.LEARNER, "web.me"),
         (Role.VERIFIER, "web.verify"), (Role.UNION, "subsidy_pages.union_console"))


def _home_of(who: Principal) -> str:
    for role, endpoint in _HOME:
        if who.has(role):
            return url_for(endpoint)
    return url_for("web.landing")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    errors: list[str] = []
    username = ""
    if request.method == "POST":
        _check_csrf()
        username = request.form.get("username", "")
        try:
            result = people.login(db.session, password_hasher(), username, request.form.get("password", ""))
        except LedgerError as err:
            db.session.commit()  # failure counters and lock-outs persist
            errors = error_text(err)
        else:
            db.session.commit()
            state()["set_session_cookie"] = result.token
            nxt = request.args.get("next") or ""
            if not nxt.startswith("/") or nxt.startswith("//"):
                nxt = _home_of(result.user.principal())
            return redirect(nxt)
    return render_template("login.html", errors=errors, username=username), 422 if errors else 200


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    _check_csrf()
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        people.logout(db.session, token)
        db.session.commit()
    state()["clear_session_cookie"] = True
    return redirect(url_for("web.landing"))


@bp.route("/activate", methods=["GET", "POST"])
def activate() -> Any:
    """First password (or a forgotten one): username or card number + the one-time code → a password."""
    errors: list[str] = []
    done = False
    if request.method == "POST":
        _check_csrf()
        name = request.form.get("username", "").strip()
        pw, pw2 = request.form.get("password", ""), request.form.get("password2", "")
        if pw != pw2:
            errors = [_("The two passwords differ.")]
        else:
            try:
                people.reset_password(db.session, password_hasher(), _username_for(name),
                                      request.form.get("code", "").strip(), pw)
                db.session.commit()
                done = True
            except LedgerError as err:
                db.session.rollback()
                errors = error_text(err)
    return render_template("activate.html", errors=errors, done=done), 422 if errors else 200


def _username_for(name: str) -> str:
    """A username, or the username of the learner whose card number this is."""
    from ledger import accounts

    digits = name.replace(" ", "")
    if digits.isdigit() and len(digits) >= 12:
        account = accounts.find_by_card_number(db.session, digits)
        if account is not None:
            user = db.session.scalar(sa.select(people.User).where(people.User.account_id == account.id))
            if user is not None:
                return user.username
    return name


# --------------------------------------------------------------------------- /me


@bp.route("/me", methods=["GET"])
@page(Role.LEARNER)
def me(who: Principal) -> Any:
    if who.account_id is None:
        return render_template("forbidden.html"), 403
    rec_page = service.account_records(db.session, who, who.account_id, None, limit=500)
    db.session.commit()
    groups: dict[str, list[Any]] = {}
    for r in rec_page.records:
        groups.setdefault(r.kind, []).append(r)
    timeline = sorted(rec_page.records, key=lambda r: r.occurred_on, reverse=True)[:20]
    programmes = conversions.list_programmes()
    chosen = request.args.get("programme") or ""
    plan = None
    plan_error: list[str] = []
    if chosen:
        try:
            plan = conversions.plan_view(conversions.preview(db.session, who, who.account_id, chosen, None, None, None))
        except LedgerError as err:
            plan_error = error_text(err)
    db.session.commit()
    if request.headers.get("HX-Request") and request.args.get("fragment") == "plan":
        return render_template("me_plan.html", plan=plan, plan_error=plan_error, programmes=programmes)
    ranking: list[dict[str, Any]] = []
    try:
        ranking = conversions.ranking(db.session, who, who.account_id, None, None)[:10]
    except LedgerError:
        ranking = []
    db.session.commit()
    share_rows = _share_rows(who)
    db.session.commit()
    return render_template("me.html", groups=groups, totals=rec_page.credit_totals, counts=rec_page.counts,
                           shares=share_rows, records=rec_page.records, account_id=who.account_id,
                           timeline=timeline, programmes=programmes, chosen=chosen, plan=plan,
                           plan_error=plan_error, ranking=ranking)


def _share_rows(who: Principal) -> list[dict[str, Any]]:
    from ledger import shares

    now = dt.datetime.now(dt.UTC)
    rows = []
    for s, views in shares.my_shares(db.session, who):
        expires = s.expires_at if s.expires_at.tzinfo else s.expires_at.replace(tzinfo=dt.UTC)
        rows.append({"id": s.id, "records": s.records, "transcript": s.transcript, "created_at": s.created_at,
                     "expires_at": s.expires_at, "views": len(views),
                     "live": s.withdrawn_at is None and expires > now, "withdrawn": s.withdrawn_at is not None})
    return rows


@bp.route("/me/shares", methods=["POST"])
@page(Role.LEARNER)
def me_share_create(who: Principal) -> Any:
    """Create a share of chosen records (or the whole transcript); the link and QR are shown once, here."""
    import segno

    from api.shares import share_url
    from ledger import shares

    _check_csrf()
    whole = request.form.get("transcript") == "1"
    chosen = request.form.getlist("records")
    days_text = (request.form.get("expires_in_days") or "").strip()
    errors: list[str] = []
    days: int | None = None
    if days_text:
        try:
            days = int(days_text)
        except ValueError:
            errors.append(_("The number of days must be a whole number."))
    if not errors:
        try:
            share, token = shares.create_share(db.session, who, bank_did(), records=None if whole else chosen,
                                               transcript=whole, audience=None, expires_in_days=days)
            db.session.commit()
        except LedgerError as err:
            db.session.rollback()
            errors = error_text(err)
    if errors:
        return render_template("message.html", lines=[_("The share was not created."), *errors], ok=False), 422
    url = share_url(token)
    qr = segno.make(url, error="m").svg_inline(scale=4)
    return render_template("share_created.html", url=url, qr=qr, share=share), 201


@bp.route("/me/shares/<share_id>/withdraw", methods=["POST"])
@page(Role.LEARNER)
def me_share_withdraw(who: Principal, share_id: str) -> Any:
    from ledger import shares

    _check_csrf()
    try:
        sid = uuid.UUID(share_id)
    except ValueError:
        abort(404)
    try:
        shares.withdraw_share(db.session, who, bank_did(), sid)
        db.session.commit()
    except LedgerError:
        db.session.rollback()
        abort(404)
    return redirect(url_for("web.me") + "#shares-h")


# --------------------------------------------------------------------------- /verify


@bp.route("/verify", methods=["GET", "POST"])
def verify() -> Any:
    result = None
    text = ""
    if request.method == "POST":
        _check_csrf()
        upload = request.files.get("file")
        text = upload.read().decode("utf-8", "replace") if upload and upload.filename else request.form.get("credential", "")
        token = share_token(text)
        if token is not None:
            return redirect(f"/s/{token}")
        result = verdict_for(db.session, text, zh=_zh())
        db.session.commit()
    return render_template("verify.html", result=result, text=text)


# --------------------------------------------------------------------------- /console


@bp.route("/console", methods=["GET"])
@page(Role.INSTITUTION)
def console(who: Principal) -> str:
    queue: list[Any] = []
    queue_error: list[str] = []
    try:
        queue = service.recognitions(db.session, who, limit=50)[0]
    except LedgerError as err:
        queue_error = error_text(err)
    recent: list[Any] = []
    if who.institution_id is not None:
        from ledger.records.models import LearningRecord

        recent = list(db.session.scalars(sa.select(LearningRecord).where(
            LearningRecord.institution_id == who.institution_id).order_by(LearningRecord.entry_index.desc()).limit(20)))
    from ledger import conversion_store

    flagged: list[Any] = []
    try:
        flagged = conversion_store.queue(db.session, who, flagged=True)
    except LedgerError:
        flagged = []
    db.session.commit()
    form = _record_form(who, {"kind": request.args.get("kind", "")}, {})
    db.session.commit()
    return render_template("console.html", queue=queue, queue_error=queue_error, recent=recent, flagged=flagged,
                           form=form, posted=request.args.get("posted"))


@bp.route("/console/conversions/<conversion_id>/recheck", methods=["GET"])
@page(Role.INSTITUTION)
def console_recheck(who: Principal, conversion_id: str) -> Any:
    """A flagged conversion: the stored plan, a fresh plan as if re-applied now, and what changes."""
    from ledger import conversion_store

    try:
        cid = uuid.UUID(conversion_id)
        conv = conversion_store.get(db.session, who, cid)
        diff = conversion_store.recheck(db.session, who, cid)
    except ValueError:
        abort(404)
    except LedgerError as err:
        db.session.rollback()
        return render_template("message.html", lines=error_text(err), ok=False), 404
    db.session.rollback()  # a recheck changes nothing
    return render_template("recheck.html", conv=conv, diff=diff)


def _post(who: Principal, payload: Any, csv_upload: bool) -> tuple[list[dict[str, Any]], int]:
    """Post a batch all-or-nothing; rows with their problems (nothing saved if any row is refused)."""
    loaded = load_batch(payload, partial=True)
    count = len(loaded.records) + len(loaded.errors)
    items = [service.PostItem(None) for _ in range(count)]
    for i, record in loaded.records:
        items[i] = service.PostItem(record)
    from api.records import _field_problems

    for i, messages in loaded.errors.items():
        items[i] = service.PostItem(None, _field_problems(messages))
    results = service.post_records(db.session, keyring(), who, items, partial=False,
                                   public_url=str(current_app.config["PUBLIC_URL"]), bank_did=bank_did())
    zh = _zh()
    refused = [r for r in results if r.problems]
    rows = [{"row": row_number(r.item) if csv_upload else r.item + 1, "ok": not r.problems,
             "record": r.record.external_ref if r.record is not None and not refused else None,
             "errors": [f"{p.field}: {p.message_zh if zh else p.message_en}" for p in r.problems],
             "problems": [(p.field, p.message_zh if zh else p.message_en) for p in r.problems]} for r in results]
    if refused:
        db.session.rollback()
    else:
        db.session.commit()
    return rows, len(refused)


@bp.route("/console/batch", methods=["POST"])
@page(Role.INSTITUTION)
def console_batch(who: Principal) -> Any:
    errors: list[str] = []
    rows: list[dict[str, Any]] = []
    refused = 0
    upload = request.files.get("file")
    text = ""
    if upload is not None and upload.filename:
        text = upload.read().decode("utf-8", "replace")
    else:
        text = request.form.get("text", "")
    try:
        stripped = text.lstrip()
        if stripped.startswith("{") or stripped.startswith("["):
            payload = json.loads(stripped)
            if isinstance(payload, list):
                payload = {"records": payload}
            elif isinstance(payload, dict) and "records" not in payload:
                payload = {"records": [payload]}  # one record typed or pasted into the form
            rows, refused = _post(who, payload, False)
        elif stripped:
            rows, refused = _post(who, {"records": parse_records_csv(text)}, True)
        else:
            errors = [_("Choose a CSV or JSON file.")]
    except (json.JSONDecodeError, CsvError, ValidationError) as err:
        db.session.rollback()
        errors = [_("The file cannot be read as records."), str(getattr(err, "messages", err))[:500]]
    except LedgerError as err:
        db.session.rollback()
        errors = error_text(err)
    status = 422 if errors or refused else 200
    return render_template("batch_result.html", rows=rows, refused=refused, errors=errors), status


def _authorised_kinds(who: Principal) -> list[str]:
    """The outcome kinds the staff member's institution may issue now, in the schema order."""
    from ledger.db import utcnow
    from ledger.institutions import Authorisation

    if who.institution_id is None:
        return []
    now = utcnow()
    kinds = set(db.session.scalars(sa.select(Authorisation.kind).where(
        Authorisation.institution_id == who.institution_id, Authorisation.valid_from <= now,
        sa.or_(Authorisation.valid_until.is_(None), Authorisation.valid_until > now))))
    return [k.value for k in OUTCOME_SCHEMAS if k.value in kinds]


def _outcome_inputs(kind: str) -> list[dict[str, Any]]:
    """The inputs of the outcome of `kind`, from its marshmallow schema: name, label, type, choices."""
    from schemas.records import OutcomeKind

    zh = _zh()
    out: list[dict[str, Any]] = []
    for name, f in OUTCOME_SCHEMAS[OutcomeKind(kind)]().fields.items():
        desc_zh, _sep, desc_en = str(f.metadata.get("description", name)).partition("。")
        choices: list[tuple[str, str]] | None = None
        if isinstance(f, StrictBoolean):
            choices = [("true", _("Yes")), ("false", _("No"))]
        elif isinstance(f, fields.Enum):
            choices = [(str(m.value), str(m.value)) for m in f.enum]
        else:
            for v in f.validators:
                if isinstance(v, validate.OneOf):
                    choices = [(str(c), str(c)) for c in v.choices]
        out.append({"name": name, "label": desc_zh if zh or not desc_en else desc_en, "required": f.required,
                    "type": "date" if isinstance(f, Day) else "text", "choices": choices})
    return out


def _record_form(who: Principal, values: dict[str, str], errors: dict[str, list[str]],
                 summary: list[str] | None = None) -> dict[str, Any]:
    kinds = _authorised_kinds(who)
    kind = values.get("kind") or ""
    if kind not in kinds:
        kind = kinds[0] if kinds else ""
    return {"kinds": kinds, "kind": kind, "values": values, "errors": errors, "summary": summary or [],
            "inputs": _outcome_inputs(kind) if kind else []}


@bp.route("/console/record/fields", methods=["GET"])
@page(Role.INSTITUTION)
def console_record_fields(who: Principal) -> Any:
    """The outcome inputs of the chosen kind (htmx partial; without JS the console reloads instead)."""
    form = _record_form(who, dict(request.args), {})
    db.session.rollback()
    return render_template("_record_fields.html", form=form)


@bp.route("/console/record", methods=["POST"])
@page(Role.INSTITUTION)
def console_record(who: Principal) -> Any:
    """Post ONE record from the per-field form, through the same service call as a pasted record."""
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    kinds = _authorised_kinds(who)
    errors: dict[str, list[str]] = {}
    summary: list[str] = []
    raw = {k: v.strip() for k, v in values.items()}
    account = raw.get("account", "")
    if account and not account.lower().startswith("urn:uuid:"):
        from ledger import accounts

        found = accounts.find_by_card_number(db.session, account)
        if found is None:
            errors["account"] = [_("Give the account id (urn:uuid:…) or the card number of an account.")]
        else:
            raw["account"] = f"urn:uuid:{found.id}"
    if raw.get("kind") not in kinds:
        errors["kind"] = [_("Your institution is not authorised for this kind.")]
    if not errors:
        try:
            rows, refused = _post(who, {"records": [record_from_fields(raw)]}, False)
            if not refused:
                return redirect(url_for("web.console", posted=raw.get("external_ref", "")))
            for field_name, message in rows[0]["problems"]:
                errors.setdefault(field_name, []).append(message)
        except ValidationError as err:
            db.session.rollback()
            summary = [str(err.messages)[:500]]
        except LedgerError as err:
            db.session.rollback()
            summary = error_text(err)
    db.session.rollback()
    summary = summary or [_("Nothing was saved: correct the fields marked below.")]
    form = _record_form(who, values, errors, summary)
    return render_template("record_form.html", form=form), 422


@bp.route("/console/records/<record_id>/<action>", methods=["POST"])
@page(Role.INSTITUTION)
def console_change(who: Principal, record_id: str, action: str) -> Any:
    try:
        rid = uuid.UUID(record_id)
    except ValueError:
        abort(404)
    reason = request.form.get("reason", "")
    try:
        if action == "revoke":
            service.revoke_record(db.session, keyring(), who, rid, reason)
        elif action == "suspend":
            service.suspend_record(db.session, keyring(), who, rid, reason)
        elif action in ("recognise", "reject"):
            service.recognise_record(db.session, who, rid, decision="recognised" if action == "recognise" else "rejected",
                                     reason=None, note=reason or None, bank_did=bank_did())
        else:
            abort(404)
        db.session.commit()
    except LedgerError as err:
        db.session.rollback()
        return render_template("message.html", lines=error_text(err), ok=False), 422
    return redirect(url_for("web.console"))


@bp.route("/console/records/<record_id>/correct", methods=["GET", "POST"])
@page(Role.INSTITUTION)
def console_correct(who: Principal, record_id: str) -> Any:
    """Supersede a record with a corrected one: the record as JSON to edit, then the service's answer."""
    from schemas.records import CorrectIn

    try:
        rid = uuid.UUID(record_id)
    except ValueError:
        abort(404)
    try:
        record = service.record_for(db.session, who, rid, None)
    except LedgerError as err:
        db.session.rollback()
        return render_template("message.html", lines=error_text(err), ok=False), 404
    errors: list[str] = []
    text = json.dumps({"kind": record.kind, "external_ref": f"{record.external_ref}-C",
                       "occurred_on": record.occurred_on.isoformat(), "outcome": record.outcome,
                       "reason": ""}, ensure_ascii=False, indent=1, default=str)
    if request.method == "POST":
        text = request.form.get("text", "")
        try:
            data = CorrectIn().load(json.loads(text))
            reason = data.pop("reason", None)
            service.correct_record(db.session, keyring(), who, rid, data, reason,
                                   public_url=str(current_app.config["PUBLIC_URL"]), bank_did=bank_did())
            db.session.commit()
            return redirect(url_for("web.console"))
        except json.JSONDecodeError:
            errors = [_("The file cannot be read as records.")]
        except ValidationError as err:
            errors = [f"{k}: {v}" for k, v in err.normalized_messages().items()]
        except LedgerError as err:
            errors = error_text(err)
        db.session.rollback()
    db.session.commit()
    return render_template("correct.html", record=record, text=text, errors=errors), 422 if errors else 200


# --------------------------------------------------------------------------- /operator


@bp.route("/operator/audit", methods=["POST"])
@page(Role.OPERATOR)
def operator_audit(who: Principal) -> str:
    """Run `flask log audit` now and show its verdict on the operator page."""
    from ledger.log.audit import audit_summary

    result = audit_summary(db.session, current_app.config["LOG_ORIGIN"])
    db.session.rollback()
    return operator(audit=result)


@bp.route("/operator")
@page(Role.OPERATOR)
def operator(who: Principal, audit: dict[str, Any] | None = None) -> str:
    from ledger import institutions
    from ledger.log import checkpoints

    insts = institutions.list_institutions(db.session)
    from ledger.log import tree_head

    cp = checkpoints.latest_checkpoint(db.session)
    log_size = tree_head(db.session)[0]
    figures = stats.statistics(db.session)
    db.session.commit()
    return render_template("operator.html", insts=insts, checkpoint=cp, log_size=log_size, stats=figures,
                           rulesets=conversions.list_rulesets(), programmes=conversions.list_programmes(),
                           charts={k: stats.bar_chart(v) for k, v in figures["charts"].items()},
                           now=dt.datetime.now(dt.UTC), audit=audit)


@bp.errorhandler(400)
def _bad_request(err: Any) -> Any:
    return make_response(render_template("message.html", lines=[_("The form expired; reload the page and try again.")],
                                         ok=False), 400)
