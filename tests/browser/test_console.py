"""The console in a real browser: log in, a complaint arrives live, open it, reply and see the
reply in the customer's web chat, resolve, the customer rates, payloads render as text."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from tests.e2e.conftest import Server

pytestmark = pytest.mark.browser

NUMBER = re.compile(r"TS-\d{8}-\d{6}")
XSS = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">阿姨把我家花瓶打碎了'


def login(page: Any, server: Server, name: str) -> None:
    page.goto(f"{server.url}/console/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/console/(queue|scripts).*"))


def say(chat: Any, text: str) -> None:
    chat.fill("#input", text)
    chat.click("#send")


def test_the_whole_round_trip(chromium: Any, served: Server, shots: Path) -> None:
    agent = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    customer = chromium.new_context(viewport={"width": 390, "height": 800}, locale="zh-CN").new_page()

    agent.goto(f"{served.url}/console/queue")  # not logged in: sent to the login page
    agent.wait_for_url(re.compile(r".*/console/login.*"))
    agent.screenshot(path=str(shots / "01-login.png"), full_page=True)
    login(agent, served, "boss")
    agent.wait_for_selector("#live-state.on")
    agent.screenshot(path=str(shots / "02-queue-empty.png"), full_page=True)

    customer.goto(f"{served.url}/chat")
    say(customer, "阿姨今天迟到了一个多小时，打扫得也很马虎，我很不满意")
    customer.wait_for_selector("#messages li.out >> text=/TS-\\d{8}-\\d{6}/", timeout=20_000)
    number = NUMBER.search(customer.inner_text("#messages")).group(0)  # type: ignore[union-attr]
    say(customer, "13800138000")

    row = agent.wait_for_selector(f'tr[data-number="{number}"]', timeout=20_000)  # arrived live, no reload
    assert row is not None
    agent.screenshot(path=str(shots / "03-queue-live.png"), full_page=True)
    agent.click(f'a[href="/console/tickets/{number}"]')
    agent.wait_for_selector("#ticket-number")
    assert agent.inner_text("#complaint-content").startswith("阿姨今天迟到")
    agent.screenshot(path=str(shots / "04-ticket.png"), full_page=True)

    agent.fill("#reply-text", "您好，我们已经联系阿姨核实情况，明天上午给您回复。")
    agent.click("#reply-form button[type=submit]")
    agent.wait_for_selector(".flash")
    customer.wait_for_selector("#messages li.out >> text=明天上午给您回复", timeout=20_000)
    customer.screenshot(path=str(shots / "05-chat-reply.png"), full_page=True)

    agent.fill("#resolve-form textarea[name=resolution]", "安排阿姨明天免费返工一次")
    agent.fill("#resolve-form input[name=compensation]", "赠送2小时日常保洁")
    agent.click("#resolve-form button[type=submit]")
    agent.wait_for_selector('#ticket-status[data-status="resolved"]')
    customer.wait_for_selector("#messages li.out >> text=免费返工", timeout=20_000)
    customer.wait_for_selector("#quick button", timeout=20_000)
    customer.screenshot(path=str(shots / "06-chat-rating.png"), full_page=True)
    customer.click("#quick button >> text=/^5/")
    customer.wait_for_selector("#messages li.out >> nth=-1")
    agent.wait_for_timeout(200)
    for _ in range(50):
        agent.reload()
        if agent.get_attribute("#ticket-status", "data-status") == "closed":
            break
        agent.wait_for_timeout(200)
    assert agent.get_attribute("#ticket-status", "data-status") == "closed"
    assert agent.inner_text("#satisfaction") == "5"
    agent.screenshot(path=str(shots / "07-ticket-closed.png"), full_page=True)

    agent.goto(f"{served.url}/console/manual")
    agent.screenshot(path=str(shots / "08-manual.png"), full_page=True)
    phone = chromium.new_context(viewport={"width": 390, "height": 800}, locale="zh-CN").new_page()
    login(phone, served, "boss")
    phone.screenshot(path=str(shots / "09-queue-phone.png"), full_page=True)


def test_payloads_show_as_text_and_run_nothing(chromium: Any, served: Server, shots: Path) -> None:
    customer = chromium.new_context(locale="zh-CN").new_page()
    customer.goto(f"{served.url}/chat")
    say(customer, XSS)
    customer.wait_for_selector("#messages li.out >> text=/TS-\\d{8}-\\d{6}/", timeout=20_000)
    number = NUMBER.search(customer.inner_text("#messages")).group(0)  # type: ignore[union-attr]
    assert customer.evaluate("window.__pwned") is None

    agent = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    login(agent, served, "boss")
    agent.wait_for_selector(f'tr[data-number="{number}"]')
    assert "<script>" in agent.inner_text(f'tr[data-number="{number}"] .content')
    agent.goto(f"{served.url}/console/tickets/{number}")
    content = agent.inner_text("#complaint-content")
    assert content.startswith("<script>window.__pwned = 1</script><img src=x onerror=")
    assert agent.evaluate("window.__pwned") is None
    assert agent.locator("#complaint-content img").count() == 0
    agent.screenshot(path=str(shots / "10-ticket-xss.png"), full_page=True)


def test_scripts_editor_previews_live(chromium: Any, served: Server, shots: Path) -> None:
    page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
    login(page, served, "op")
    page.goto(f"{served.url}/console/scripts?key=agent_message.zh")
    page.fill("textarea[name=body]", "【客服】{{ text }}\n{{ nosuchvar }}")
    page.wait_for_selector("#preview-problems li")
    assert "nosuchvar" in page.inner_text("#preview-problems")
    page.wait_for_selector("#line-marks .bad")
    page.screenshot(path=str(shots / "11-scripts-problem.png"), full_page=True)
    page.fill("textarea[name=body]", "【客服】{{ text }}")
    expect(page.locator("#preview-problems li")).to_have_count(0)
    expect(page.locator("#preview-text")).to_have_text(re.compile("^【客服】您好"))
    page.click("#script-form button[type=submit]")
    page.wait_for_selector(".flash")
    assert "v2" in page.inner_text("#versions")
    page.screenshot(path=str(shots / "12-scripts-saved.png"), full_page=True)


def test_queue_pages_forward_back_and_stays_live(chromium: Any, served: Server, shots: Path) -> None:
    made = served.cli("token", "create", "pages", "--role", "intake")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]
    for index in range(27):
        post_message(served, token, f"pages-{index}", "阿姨今天迟到了一个多小时，我很不满意")
    page = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    login(page, served, "boss")
    page.goto(f"{served.url}/console/queue?size=25")
    page.wait_for_selector("#live-state.on")
    expect(page.locator("tr[data-number]")).to_have_count(25)
    expect(page.locator(".pager-position")).to_have_text("第 1–25 条，共 27 条")
    first = page.locator("tr[data-number]").evaluate_all("rows => rows.map(r => r.dataset.number)")
    page.click("a[rel=next]")
    page.wait_for_url(re.compile(r".*after=.*"))
    expect(page.locator(".pager-position")).to_have_text("第 26–27 条，共 27 条")
    second = page.locator("tr[data-number]").evaluate_all("rows => rows.map(r => r.dataset.number)")
    assert len(second) == 2 and not set(first) & set(second)
    assert page.locator("select[name=size]").input_value() == "25"
    page.wait_for_selector("#live-state.on")
    # the latest complaint sorts last: it arrives live on the page shown, the count follows
    number = post_message(served, token, "pages-late", "阿姨今天迟到了一个多小时，我很不满意")
    page.wait_for_selector(f'tr[data-number="{number}"]', timeout=20_000)
    expect(page.locator(".pager-position")).to_have_text("第 26–28 条，共 28 条")
    page.screenshot(path=str(shots / "13-queue-page-2.png"), full_page=True)
    page.click("a[rel=prev]")
    page.wait_for_url(re.compile(r".*before=.*"))
    again = page.locator("tr[data-number]").evaluate_all("rows => rows.map(r => r.dataset.number)")
    assert again == first


def post_message(server: Server, token: str, user: str, text: str) -> str:
    request = urllib.request.Request(
        f"{server.url}/api/v1/messages",
        data=json.dumps({"channel_user_id": user, "text": text, "external_id": user}).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        number = json.loads(response.read())["complaint"]["number"]
    assert isinstance(number, str)
    return number
