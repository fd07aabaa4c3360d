"""The scripts page: versions, live preview against a real complaint, problems by line, rollback."""

from __future__ import annotations

from tests.integration.console.conftest import Console

KEY = "agent_message.zh"


async def test_list_edit_preview_and_rollback(console: Console) -> None:
    op = console.browsers["operator"]
    page = await op.get("/console/scripts")
    assert page.status == 200 and "acknowledgement" in await page.text()
    editor = await op.get(f"/console/scripts?key={KEY}")
    assert editor.status == 200 and "{{ text }}" in await editor.text()

    number = await console.complaint("阿姨打碎了花瓶")
    preview = await op.post(
        "/console/scripts/preview",
        {"key": "status.zh", "body": "投诉 {{ number }}：{{ status_label }}", "complaint": number},
        headers={"Accept": "application/json"},
    )
    assert preview.status == 200
    data = await preview.json()
    assert data["text"] == f"投诉 {number}：待处理" and data["problems"] == []

    broken = await op.post("/console/scripts/preview", {"key": KEY, "body": "第一行\n{{ nosuchvar }}\n{% if %}"})
    problems = (await broken.json())["problems"]
    assert problems and all(p["line"] for p in problems)

    bad = await op.post("/console/scripts/save", {"key": KEY, "body": "你好\n{{ nosuchvar }}"})
    assert bad.status == 422
    html = await bad.text()
    assert "第 2 行" in html and "nosuchvar" in html

    first = await op.post("/console/scripts/save", {"key": KEY, "body": "【客服】{{ text }}"})
    assert first.status == 303
    assert console.runtime.scripts.get(KEY).body == "【客服】{{ text }}"  # type: ignore[attr-defined]
    versions = await (await op.get(f"/console/scripts?key={KEY}")).text()
    assert "v1" in versions and "v2" in versions
    back = await op.post("/console/scripts/rollback", {"key": KEY, "version": "1"})
    assert back.status == 303
    current = console.runtime.scripts.get(KEY)  # type: ignore[attr-defined]
    assert current.version == 3 and "{{ text }}" in current.body and "【客服】" not in current.body
    assert (await op.post("/console/scripts/rollback", {"key": KEY, "version": "99"})).status == 422
    assert (await op.get("/console/scripts?key=nonsense.purpose")).status == 404


async def test_only_operators_edit(console: Console) -> None:
    manager = console.browsers["manager"]
    assert (await manager.get(f"/console/scripts?key={KEY}")).status == 200
    assert (await manager.post("/console/scripts/save", {"key": KEY, "body": "x {{ text }}"})).status == 403
    assert (await console.browsers["agent"].get("/console/scripts")).status == 403
