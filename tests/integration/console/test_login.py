"""Login, sessions, CSRF and lockout of the console."""

from __future__ import annotations

from tests.integration.console.conftest import Console
from tousu.console.security import MAX_FAILURES


async def test_login_sets_a_protected_cookie_and_logout_ends_the_session(console: Console) -> None:
    browser, response = await console.login("zhang.min")
    assert response.status == 303
    cookie = response.headers.getall("Set-Cookie")
    session_cookie = next(c for c in cookie if c.startswith("tousu_console="))
    assert "HttpOnly" in session_cookie and "SameSite=Strict" in session_cookie
    assert (await browser.get("/console/queue")).status == 200
    assert (await browser.post("/console/logout")).status == 303
    after = await browser.get("/console/queue")
    assert after.status == 303 and "/console/login" in after.headers["Location"]


async def test_pages_need_a_session(console: Console) -> None:
    anonymous = await console.new_browser()
    response = await anonymous.get("/console/queue")
    assert response.status == 303 and response.headers["Location"].startswith("/console/login")
    assert (await anonymous.post("/console/logout", csrf=False)).status == 401


async def test_wrong_password_and_lockout(console: Console) -> None:
    for _ in range(MAX_FAILURES - 1):
        _, response = await console.login("zhang.min", "wrong password!")
        assert response.status == 401
    _, response = await console.login("zhang.min", "wrong password!")
    assert response.status == 423
    _, response = await console.login("zhang.min")  # right password, still locked
    assert response.status == 423
    assert "锁定" in await response.text()


async def test_unknown_user_is_refused_like_a_wrong_password(console: Console) -> None:
    _, response = await console.login("nobody")
    assert response.status == 401


async def test_post_without_csrf_is_forbidden(console: Console) -> None:
    browser = console.browsers["agent"]
    response = await browser.post("/console/logout", csrf=False)
    assert response.status == 403
    wrong = await browser.client.post("/console/logout", data={"csrf": "forged"}, allow_redirects=False)
    assert wrong.status == 403
    assert (await browser.get("/console/queue")).status == 200


async def test_login_form_needs_its_csrf_cookie(console: Console) -> None:
    browser = await console.new_browser()
    response = await browser.post("/console/login", {"username": "boss", "password": "correct horse battery"})
    assert response.status == 403


async def test_english_is_available(console: Console) -> None:
    browser = console.browsers["agent"]
    page = await browser.client.get("/console/queue?lang=en")
    assert "Queue" in await page.text()
    again = await browser.client.get("/console/queue")
    assert "My team" in await again.text()
