"""The journey in Debian Chromium through Playwright, against a real server on a free port with a temp SQLite
instance: a college uploads a batch with one bad row (per-row errors, nothing saved), then posts it; the
worker sees the records and a conversion preview; an employer verifies a credential (green); the college
revokes it and the employer's verdict turns red. Screenshots at 360 px and desktop go to test-artefacts/."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.browser

ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts"
PW = "correct horse battery"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from werkzeug.serving import make_server

    from tests.conftest import make_app
    from tests.factories import account, institution, user

    instance = tmp_path_factory.mktemp("web-browser")
    app = make_app("sqlite:///" + str(instance / "web.db"), instance)
    with app.app_context():
        college = institution("college", name="重庆电力高等专科学校")
        acct = account(name="李四")
        user("institution", username="staff", institution_id=college.id, organisation=college.name)
        user("learner", username="worker", account_id=acct.id, display_name="李四")
        user("verifier", username="employer", organisation="国网重庆")
        info = {"account": acct.id, "college": college.id}
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"app": app, "url": f"http://127.0.0.1:{srv.server_port}", **info}
    finally:
        srv.shutdown()
        with app.app_context():
            from api.extensions import db

            db.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CREDITBANK_REQUIRE_INTEROP") == "1":  # `make test` installed it: missing is a failure
            pytest.fail("Debian Chromium is not installed at /usr/bin/chromium (scripts/test-deps.sh)")
        pytest.skip("Debian Chromium is not installed (scripts/test-deps.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def shoot(page: Any, name: str) -> None:
    """Screenshots of the current page at 360 px and at desktop width."""
    ARTEFACTS.mkdir(exist_ok=True)
    for label, size in (("360", {"width": 360, "height": 780}), ("desktop", {"width": 1280, "height": 900})):
        page.set_viewport_size(size)
        page.screenshot(path=str(ARTEFACTS / f"{name}-{label}.png"), full_page=True)


def log_in(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}/login")
    page.fill("#username", username)
    page.fill("#password", PW)
    page.click("form.stack button[type=submit]")


def record_body(account_id: Any, ref: str) -> dict[str, Any]:
    from tests.factories import record_body as body

    return body(account_id, external_ref=ref)


def _in_thread(fn: Any) -> Any:
    """Run `fn` off the Playwright thread (its event loop forbids the app's sync teardown there)."""
    out: list[Any] = []
    t = threading.Thread(target=lambda: out.append(fn()))
    t.start()
    t.join()
    return out[0]


def count_records(app: Any, college: Any) -> int:
    from api.extensions import db
    from ledger.records.models import LearningRecord

    def run() -> int:
        with app.app_context():
            return int(db.session.scalar(sa.select(sa.func.count()).select_from(LearningRecord)
                                         .where(LearningRecord.institution_id == college)) or 0)

    return int(_in_thread(run))


def credential_of(app: Any, ref: str) -> str:
    from api.extensions import db
    from ledger.records.models import LearningRecord

    def run() -> str:
        with app.app_context():
            rec = db.session.scalar(sa.select(LearningRecord).where(LearningRecord.external_ref == ref))
            assert rec is not None
            return json.dumps(rec.credential, ensure_ascii=False)

    return str(_in_thread(run))


def test_the_journey(server: dict[str, Any], browser: Any, tmp_path: Path) -> None:
    url, app = server["url"], server["app"]
    ctx = browser.new_context(locale="zh-CN")
    page = ctx.new_page()
    page.goto(url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    shoot(page, "landing")

    # The college: one bad row → every row's fate shown, nothing saved; then the good batch.
    log_in(page, url, "staff")
    page.wait_for_url(f"{url}/console")
    good = [record_body(server["account"], f"PW-{i}") for i in range(3)]
    bad = record_body(server["account"], "PW-BAD")
    bad["outcome"] = {}
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps({"records": [*good, bad]}))
    page.set_input_files("#file", str(batch))
    page.click("#batch button[type=submit]")
    page.wait_for_selector("#batch-result tr.bad")
    assert "未保存任何记录" in page.inner_text("#batch-result")
    assert count_records(app, server["college"]) == 0
    shoot(page, "console-refused")
    batch.write_text(json.dumps({"records": good}))
    page.set_input_files("#file", str(batch))
    page.click("#batch button[type=submit]")
    page.wait_for_selector("#batch-result p.ok")
    assert "已提交 3 条记录" in page.inner_text("#batch-result")
    assert count_records(app, server["college"]) == 3
    page.click("header button[type=submit]")  # log out

    # The worker: records and a conversion preview (htmx fragment).
    log_in(page, url, "worker")
    page.wait_for_url(f"{url}/me")
    assert "课程学分" in page.inner_text("main")
    page.click("#preview-h ~ form button[type=submit]")
    page.wait_for_selector("#plan .plan-total")
    shoot(page, "me")
    # …and shares PW-1 with the employer: a link and its QR code, shown once.
    credential = credential_of(app, "PW-1")
    page.check(f"input[name=records][value='{json.loads(credential)['id']}']")
    page.click("#shares-h ~ form button[type=submit]")
    page.wait_for_selector("#share-link")
    assert page.locator("figure.qr svg").count() == 1
    share_link = str(page.get_attribute("#share-link", "data-share-url"))
    shoot(page, "share-created")
    page.goto(f"{url}/me")
    assert page.inner_text("tr[data-share] td.views") == "0"
    page.click("header button[type=submit]")

    # The employer: the credential is genuine (green); the pasted share link opens the share, green too.
    log_in(page, url, "employer")
    page.wait_for_url(f"{url}/verify")
    page.fill("#credential", credential)
    page.click("form.stack button[type=submit]")
    assert page.get_attribute("[data-verdict]", "data-verdict") == "green"
    shoot(page, "verify-green")
    page.fill("#credential", share_link)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{url}/s/**")
    share_page = page.url
    assert page.locator("section.card.ok").count() == 1 and page.locator("section.card.bad").count() == 0
    shoot(page, "share-green")
    page.goto(f"{url}/verify")
    page.click("header button[type=submit]")

    # The college revokes it; the employer's verdict turns red.
    log_in(page, url, "staff")
    page.wait_for_url(f"{url}/console")
    row = page.locator("li[data-ref='PW-1']")
    row.locator("input[name=reason]").fill("录入错误")
    row.locator("button[type=submit]").click()
    page.wait_for_url(f"{url}/console")
    shoot(page, "console")
    page.click("header button[type=submit]")
    page.goto(f"{url}/verify")
    page.fill("#credential", credential)
    page.click("form.stack button[type=submit]")
    assert page.get_attribute("[data-verdict]", "data-verdict") == "red"
    assert "已撤销" in page.inner_text(".verdict")
    shoot(page, "verify-red")
    page.goto(share_page)  # the share page turns red too
    assert page.locator("section.card.bad").count() == 1 and page.locator("section.card.ok").count() == 0
    shoot(page, "share-red")
    page.goto(f"{url}/verify")

    # English after the switch.
    page.click("nav.lang a")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Verify a credential" in page.inner_text("main")
    ctx.close()
