"""The customer pages in a real browser (Debian's chromium, driven by Playwright) against `make local`:
a customer returns two items, uploads a video and prints the label; the policy page shows the window
in Chinese; a second shop's branding shows on its portal; the core path works without JavaScript.
axe-core (npm) checks every page: no serious or critical violation. Screenshots go to
docs/screenshots/.

One `make local` and one browser for the module; each journey gets its own browser context.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from local.demo.data import address_in
from local.demo.lake import fill
from local.dynamodb_local import free_port
from local.lake import LocalLake
from local.sample_media import sample_video

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
DEMO_KEY = "bk_demo_local_only_key_0000000000000"
# DESIGN.md: Playwright cannot download its own browser here; it drives Debian's.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FIRST_PAGE_BUDGET = 100 * 1024


def _chromium_or_fail() -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Debian's chromium is needed for the browser tests: apt-get install chromium (make test does)."
        )


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if os.environ.get("WEB_E2E_BASE_URL"):  # a `make local` already running (its demo data loaded)
        yield os.environ["WEB_E2E_BASE_URL"].rstrip("/")
        return
    port, assets_port = free_port(), free_port()
    lake = tmp_path_factory.mktemp("lake")  # the dashboard's: a year of a few thousand returns
    fill(LocalLake(lake), returns=3000)
    env = {
        **os.environ,
        "PORT": str(port),
        "ASSETS_PORT": str(assets_port),
        "WORKERS": "2",
        "PYTHONUNBUFFERED": "1",
        "LAKE_DIR": str(lake),
    }
    for name in ("TABLE_NAME", "IDEMPOTENCY_TABLE_NAME", "SESSION_SECRET_NAME"):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "local"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    assert process.stdout is not None
    deadline, lines = time.monotonic() + 300, []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("Ready in"):
            break
    else:
        process.kill()
        raise AssertionError("make local did not get ready:\n" + "".join(lines))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _chromium_or_fail()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations of WCAG 2.1 A and AA on the page as it is."""
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")  # through the DevTools protocol: no CSP
    found = page.evaluate(
        """async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}))
            .violations.map(v => ({id: v.id, impact: v.impact,
                                   nodes: v.nodes.map(n => n.target.join(' '))}))"""
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


def check_page(page: Any, shot: str) -> None:
    assert axe_violations(page) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{shot}.png"), full_page=True)


def _order(number: str, lines: list[tuple[str, str, str]]) -> dict[str, Any]:
    now = datetime.now(UTC)
    at = (now - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "order_id": number,
        "order_number": f"#{number}",
        "customer": {"email": "mae@example.com", "country": "US"},
        "shipping_address": address_in("US", "Mae Jemison"),  # the live demo shop's carrier needs it
        "currency": "USD",
        "ordered_at": at,
        "payment_reference": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
        "lines": [
            {
                "line_id": f"{number}-{i}",
                "sku": sku,
                "title": title,
                "category": "apparel",
                "quantity": 1,
                "unit_price": {"amount": price, "currency": "USD"},
                "delivered_at": at,
            }
            for i, (sku, title, price) in enumerate(lines, 1)
        ],
    }


def _post_order(base: str, order: dict[str, Any]) -> None:
    done = requests.post(f"{base}/v1/orders", json=order, headers={"x-api-key": DEMO_KEY}, timeout=30)
    assert done.status_code in (200, 201), done.text


def _wait_for(page: Any, url: str, text: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        page.goto(url)
        if text in page.content():
            return
        time.sleep(2)
    raise AssertionError(f"{url} never showed {text!r}:\n{page.inner_text('main')}")


def test_a_customer_returns_two_items_uploads_a_video_and_prints_the_label(local: str, browser: Any) -> None:
    # $125 in two items: over $100, so the policy asks for an unboxing video first.
    number = f"55{int(time.time()) % 100000:05d}"  # a new order each run, also against a running stack
    _post_order(local, _order(number, [("PARKA-M", "Parka, M", "80.00"), ("BOOT-41", "Boots, 41", "45.00")]))
    context = browser.new_context(locale="en-US", viewport={"width": 1000, "height": 900})
    page = context.new_page()
    responses: list[Any] = []

    def seen(response: Any) -> None:
        responses.append(response)

    page.on("response", seen)
    page.goto(f"{local}/demo/returns")
    page.wait_for_load_state("networkidle")
    page.remove_listener("response", seen)
    weight = sum(len(r.body()) for r in responses if r.status < 300)  # decoded: stricter than on the wire
    assert len(responses) == 4 and weight < FIRST_PAGE_BUDGET, f"first page: {weight} bytes, {responses}"
    check_page(page, "web-portal-lookup")

    page.get_by_label("Order number").fill(number)  # without the '#'
    page.get_by_label("Email address").fill("Mae@Example.com")
    page.get_by_role("button", name="Find my order").click()
    page.locator("h1", has_text=f"Order #{number}").wait_for()  # htmx swaps the page in (hx-boost)
    assert page.get_by_text("You can return this until").count() == 2
    check_page(page, "web-portal-order")

    page.select_option("#qty_0", "1")
    page.select_option("#reason_0", "size_too_large")
    page.select_option("#qty_1", "1")
    page.select_option("#reason_1", "defective")
    page.fill("#note_1", "The left sole came loose.")
    page.check("#resolution-store_credit")
    page.get_by_role("button", name="Request my return").click()
    page.locator("h1", has_text="Return ").wait_for()
    page.wait_for_url(re.compile(r"/demo/returns/[0-9A-Z-]+$"))  # the status page's own address
    status_url = page.url
    main = page.inner_text("main")
    assert "We need an unboxing or inspection video" in main
    assert "over USD 100.00" in main  # the rule that decided, in the policy's words
    assert "Parka, M" in main and "Boots, 41" in main
    check_page(page, "web-portal-evidence")

    page.set_input_files(
        "#evidence-file",
        files=[{"name": "unboxing.mp4", "mimeType": "video/mp4", "buffer": sample_video(seconds=4)}],
    )
    page.get_by_role("button", name="Upload").click()
    page.locator("#evidence-status", has_text="Uploaded.").wait_for(timeout=60_000)
    assert page.eval_on_selector("#evidence-progress", "p => p.value") == 100

    # The upload check records the video and the return goes to review; staff approve it; the label comes.
    rma = status_url.rsplit("/", 1)[1]
    _wait_for(page, status_url, "Being reviewed")
    token = requests.post(
        f"{local}/local/login", json={"username": "support", "password": "Local-Boomerang-1"}, timeout=30
    ).json()["id_token"]
    approved = requests.post(
        f"{local}/admin/v1/returns/{rma}/approve", json={"note": "video checked"},
        headers={"Authorization": token}, timeout=30,
    )  # fmt: skip
    assert approved.status_code == 200, approved.text
    _wait_for(page, status_url, "Print the label (PDF)")
    assert page.locator(".qr svg").count() == 1
    check_page(page, "web-portal-label")
    label = context.request.get(
        page.get_attribute("#print-label", "href") and f"{local}/demo/returns/{rma}/label"
    )
    assert label.ok and label.body()[:5] == b"%PDF-"
    page.emulate_media(media="print")
    assert len(page.pdf()) > 1000  # the page prints (header and footer hidden by the print styles)
    context.close()


def test_the_policy_page_shows_the_window_in_chinese(local: str, browser: Any) -> None:
    context = browser.new_context(locale="zh-CN", extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    page = context.new_page()
    answer = page.goto(f"{local}/demo/policy")
    assert answer is not None and answer.ok
    assert answer.headers["cache-control"].startswith("public, max-age=")
    assert page.get_attribute("html", "lang") == "zh"
    assert "退货期限：" in page.inner_text("#window") and "自送达之日起 30 天内" in page.inner_text("#window")
    data = json.loads(page.inner_text("script[type='application/ld+json']"))
    assert (
        data["@graph"][0]["@type"] == "MerchantReturnPolicy" and data["@graph"][0]["merchantReturnDays"] == 30
    )
    check_page(page, "web-policy-zh")
    context.close()


def test_a_second_shop_shows_its_own_branding_and_works_without_javascript(local: str, browser: Any) -> None:
    context = browser.new_context(locale="en-US", java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{local}/northwind/returns")
    assert page.inner_text(".shop-name") == "Northwind Outfitters"
    assert "care@northwind.example" in page.inner_text("footer")
    header = page.eval_on_selector("header.brand", "h => getComputedStyle(h).backgroundColor")
    assert header == "rgb(242, 193, 78)"
    # Without JavaScript: find the order, request a return, see its decision.
    page.get_by_label("Order number").fill("NW-7001")
    page.get_by_label("Email address").fill("kenji@example.com")
    page.locator("button[type=submit]").click()
    assert "注文 NW-7001" in page.inner_text("h1")  # the order's customer reads Japanese
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "web-portal-northwind-ja-nojs.png"), full_page=True)
    page.select_option("#qty_0", "1")
    page.select_option("#reason_0", "size_too_small")
    page.locator("button[type=submit]").click()
    assert re.search(r"/northwind/returns/[0-9A-Z-]+$", page.url)
    assert "返品が承認されました。" in page.inner_text("main")  # $45, a size: approved at once
    context.close()
    # The same pages with JavaScript, for axe and the screenshots.
    context = browser.new_context(locale="en-US", viewport={"width": 420, "height": 900})
    page = context.new_page()
    page.goto(f"{local}/northwind/returns")
    check_page(page, "web-portal-northwind-phone")
    context.close()


def test_refusals_answer_pages_not_traces(local: str) -> None:
    """An unknown shop, a form without its CSRF token, an upload offer without a session."""
    missing = requests.get(f"{local}/no-such-shop/returns", headers={"Accept-Language": "de"}, timeout=30)
    assert missing.status_code == 404 and "Seite nicht gefunden" in missing.text
    assert missing.headers["Content-Type"].startswith("text/html")
    found = requests.post(
        f"{local}/demo/returns", data={"order_number": "#1004", "email": "ada@example.com"}, timeout=30,
        allow_redirects=False,
    )  # fmt: skip
    assert found.status_code == 303 and "HttpOnly" in found.headers["Set-Cookie"]
    assert (
        "SameSite=Lax" in found.headers["Set-Cookie"] and "Path=/demo/returns" in found.headers["Set-Cookie"]
    )
    # The cookie is Secure: a browser sends it to http://127.0.0.1 (a secure context), requests does not.
    cookie = {"Cookie": found.headers["Set-Cookie"].split(";")[0]}
    page = requests.get(f"{local}/demo/returns", headers=cookie, timeout=30)
    assert "The return window closed on" in page.text  # order 1004: delivered 45 days ago
    # A form posted without its CSRF token (as another site could make a browser do) requests nothing.
    found = requests.post(
        f"{local}/demo/returns", data={"order_number": "1001", "email": "ada@example.com"}, timeout=30,
        allow_redirects=False,
    )  # fmt: skip
    cookie = {"Cookie": found.headers["Set-Cookie"].split(";")[0]}
    forged = requests.post(
        f"{local}/demo/returns/new", data={"line_0": "1001-1", "qty_0": "1", "reason_0": "other",
        "resolution": "refund"}, headers=cookie, timeout=30, allow_redirects=False,
    )  # fmt: skip
    assert forged.status_code == 303 and forged.headers["Location"].endswith("/demo/returns")
    assert (
        "You can return this until" in requests.get(f"{local}/demo/returns", headers=cookie, timeout=30).text
    )
    wanted = {"kind": "video", "content_type": "video/mp4", "size": 10}
    offer = requests.post(f"{local}/demo/returns/AAA-AAA-AAA/evidence", json=wanted, timeout=30)
    assert offer.status_code == 403 and offer.json()["error"]["code"] == "forbidden"
    wrong = requests.post(
        f"{local}/demo/returns", data={"order_number": "1001", "email": "x@example.com"}, timeout=30
    )
    assert wrong.status_code == 404 and 'role="alert"' in wrong.text


def focused(page: Any, id_prefix: str) -> None:
    """The keyboard's focus is on the element whose id starts so (htmx settles the page first)."""
    page.wait_for_function(
        "p => document.activeElement && document.activeElement.id.startsWith(p)", arg=id_prefix, timeout=5000
    )


def _review_return(base: str) -> tuple[str, str, str]:
    """A $40 return of a defective shirt: the policy sends it to review. (RMA, its hub, the order)."""
    number = f"66{int(time.time()) % 100000:05d}"
    from local.demo.labels import NEW_YORK

    # With a shipping address: the label is picked up from there.
    _post_order(base, {**_order(number, [("TEE-L", "T-shirt, L", "40.00")]), "shipping_address": NEW_YORK})
    session = requests.post(
        f"{base}/v1/sessions", json={"shop": "demo", "order_number": number, "email": "mae@example.com"},
        headers={"x-api-key": DEMO_KEY}, timeout=30,
    ).json()  # fmt: skip
    body = {
        "order_id": number,
        "items": [
            {"line_id": f"{number}-1", "quantity": 1, "reason": "defective", "note": "Seam \u202eopen"}
        ],
        "resolution": "refund",
    }
    created = requests.post(
        f"{base}/v1/returns", json=body, timeout=30,
        headers={"Authorization": f"Bearer {session['token']}", "Idempotency-Key": f"{number}-return"},
    )  # fmt: skip
    assert created.status_code == 201 and created.json()["status"] == "pending_review", created.text
    return created.json()["rma"], created.json()["hub"]["hub_id"], number


def test_staff_signs_in_approves_in_the_review_queue_scans_with_the_keyboard_and_grades(
    local: str, browser: Any
) -> None:
    rma, hub, rma_order = _review_return(local)
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{local}/admin")  # not signed in: the local sign-in form, which comes back here
    assert "/admin/sign-in" in page.url
    check_page(page, "console-sign-in")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("Local-Boomerang-1")
    page.get_by_role("button", name="Sign in").click()
    page.locator("h1", has_text="Review").wait_for()
    cookie = next(c for c in context.cookies() if c["name"] == "boomerang_staff")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Lax"
    check_page(page, "console-queue-review")

    page.get_by_role("link", name=rma).click()
    page.locator("h1", has_text=f"Return {rma}").wait_for()
    # The workflow's review wait is open once its execution reaches it (the news then resumes it).
    deadline = time.monotonic() + 60
    while page.locator("#waiting", has_text="review").count() == 0 and time.monotonic() < deadline:
        time.sleep(1)
        page.reload()
    assert "⟦U+202E" in page.inner_text("main")  # the customer's hidden character, shown
    check_page(page, "console-return")
    page.get_by_label("Note (optional, on the timeline)").fill("Photos show the seam.")
    page.get_by_role("button", name="Approve").click()
    page.locator(".notice", has_text="Done: approved.").wait_for()

    # The workflow issues the label; the carrier brings the parcel to the hub.
    deadline = time.monotonic() + 90
    while "label issued" not in page.inner_text("#status") and time.monotonic() < deadline:
        time.sleep(2)
        page.reload()
    for status in ("in_transit", "delivered"):
        moved = requests.post(
            f"{local}/local/simulate/carrier", json={"rma": rma, "status": status}, timeout=30
        )
        assert moved.status_code == 200 and moved.json()["status"] == status, moved.text

    page.get_by_role("link", name="Warehouse").click()
    page.select_option("#hub", hub)
    page.get_by_role("button", name="Start scanning").click()
    page.locator("#code").wait_for()
    focused(page, "code")  # the cursor waits in the scan field
    check_page(page, "console-warehouse")
    page.keyboard.type("K7Q4M2XAB")  # a misread code: refused on the page, the cursor stays put
    page.keyboard.press("Enter")
    page.locator("#code-error", has_text="Not an RMA number").wait_for()
    focused(page, "code")
    page.keyboard.type(rma.lower().replace("-", ""))  # as a scanner types it (over the selected code), Enter
    page.keyboard.press("Enter")
    page.locator("h1", has_text=f"Grade {rma}").wait_for()
    focused(page, "grade_")
    check_page(page, "console-grade")
    page.keyboard.type("r")  # Resellable
    page.keyboard.press("Tab")  # the item's notes
    page.keyboard.type("As new")
    page.keyboard.press("Enter")
    page.locator("#done", has_text=f"Graded {rma}").wait_for()
    focused(page, "code")  # back in the scan field

    # The other console pages, each checked by axe: a ticket about this return, the customer, the policy.
    ticket = requests.post(
        f"{local}/v1/tickets", timeout=30,
        json={"message": f"Hello, where is the refund for {rma}? The seam was open.", "order_id": rma_order},
        headers={"x-api-key": DEMO_KEY, "Idempotency-Key": f"{rma}-ticket"},
    )  # fmt: skip
    assert ticket.status_code == 201, ticket.text
    page.get_by_role("link", name="Tickets").click()
    page.locator("h1", has_text="Tickets").wait_for()
    check_page(page, "console-tickets")
    page.goto(f"{local}/admin/tickets/{ticket.json()['ticket_id']}")
    assert "where is the refund" in page.inner_text("main")
    check_page(page, "console-ticket")
    page.get_by_role("link", name="Customers").click()
    page.get_by_label("Customer's email").fill("mae@example.com")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("button", name="Download their data").wait_for()
    check_page(page, "console-customer")
    page.get_by_role("link", name="Policy").click()
    page.get_by_role("button", name="Simulate").click()
    page.locator("#sim").wait_for()
    check_page(page, "console-policy-simulated")
    page.goto(f"{local}/admin?lang=ja")  # the console in the staff member's language
    assert page.get_attribute("html", "lang") == "ja" and "審査" in page.inner_text("h1")
    check_page(page, "console-queue-ja")
    # The dashboard: the demo shop's last 30 days of the lake, charts drawn on the server.
    page.goto(f"{local}/admin?lang=en")
    page.get_by_role("link", name="Dashboard").click()
    page.locator("h1", has_text="Dashboard").wait_for()
    assert page.locator("section.chart svg[role=img]").count() >= 8
    page.get_by_text("Table of Return rate by category").click()  # the chart's table opens
    assert page.get_by_role("table", name="Return rate by category").is_visible()
    check_page(page, "console-dashboard")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download Zero-touch returns as CSV").click()
    assert download.value.suggested_filename.startswith("zero_touch-demo-")
    page.fill("#from", "31.03.2026")
    page.get_by_role("button", name="Show").click()
    page.locator("#range-error").wait_for()
    assert page.get_attribute("#from", "aria-invalid") == "true"
    context.close()
    staff = requests.post(
        f"{local}/local/login", json={"username": "admin", "password": "Local-Boomerang-1"}, timeout=30
    ).json()["id_token"]
    seen = requests.get(
        f"{local}/admin/v1/returns/{rma}", headers={"Authorization": staff}, timeout=30
    ).json()
    assert seen["inspection"]["items"][0]["grade"] == "resellable"
    assert seen["inspection"]["inspected_by"] == "staff:admin"
