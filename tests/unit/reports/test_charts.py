"""Server-drawn SVG charts: well-formed XML, accessible, escaped, drawn to scale."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import pytest

from tousu.console.charts import (
    Series,
    bar_chart,
    format_number,
    horizontal_bar_chart,
    line_chart,
    nice_ticks,
    stacked_bar_chart,
)

NS = {"svg": "http://www.w3.org/2000/svg"}
EVIL = '<script>alert(1)</script> & "x" <img src=x onerror=alert(2)>'


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img"
    title_id, desc_id = (root.get("aria-labelledby") or "").split()
    assert root.find(f"svg:title[@id='{title_id}']", NS) is not None
    assert root.find(f"svg:desc[@id='{desc_id}']", NS) is not None
    return root


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]


def bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.find("svg:title", NS) is not None]


def test_bar_chart_has_chinese_labels_axes_and_bars_to_scale() -> None:
    root = parse(bar_chart("每日投诉量", ["11-01", "11-02", "11-03"], [2, 4, 0], description="按日统计", unit="件"))
    assert root.find("svg:title", NS).text == "每日投诉量"  # type: ignore[union-attr]
    assert root.find("svg:desc", NS).text == "按日统计"  # type: ignore[union-attr]
    assert {"每日投诉量", "11-01", "11-02", "11-03"} <= set(texts(root))  # the title is drawn too
    assert "4件" in texts(root)  # the top tick
    drawn = bars(root)
    assert len(drawn) == 2  # a zero value draws no bar
    heights = [float(r.get("height", 0)) for r in drawn]
    assert heights[1] == pytest.approx(2 * heights[0], rel=0.01)
    assert [r.find("svg:title", NS).text for r in drawn] == ["11-01: 2件", "11-02: 4件"]  # type: ignore[union-attr]


def test_stacked_bars_stack_and_have_a_legend() -> None:
    root = parse(stacked_bar_chart("按类别", ["一", "二"], [Series("守时", [1, 2]), Series("服务质量", [3, 0])]))
    drawn = bars(root)
    assert len(drawn) == 3
    first_day = [r for r in drawn if (r.find("svg:title", NS).text or "").startswith("一 ·")]  # type: ignore[union-attr]
    assert len(first_day) == 2
    # The second series sits on top of the first: its bottom is the first's top.
    low, high = first_day
    assert float(high.get("y", 0)) + float(high.get("height", 0)) == pytest.approx(float(low.get("y", 0)), abs=0.2)
    assert {"守时", "服务质量"} <= set(texts(root))


def test_text_from_data_is_escaped_everywhere() -> None:
    charts = [
        bar_chart(EVIL, [EVIL], [1], description=EVIL),
        stacked_bar_chart(EVIL, [EVIL], [Series(EVIL, [1])]),
        horizontal_bar_chart(EVIL, [EVIL], [3]),
        line_chart(EVIL, [EVIL, "b"], [Series(EVIL, [1, 2])]),
    ]
    for svg in charts:
        root = parse(svg)
        assert "<script" not in svg and "<img" not in svg
        assert not list(root.iter("{http://www.w3.org/2000/svg}script"))
        assert not [e for e in root.iter() if any(a.startswith("on") for a in e.attrib)]
        assert root.find("svg:title", NS).text == EVIL  # type: ignore[union-attr]
        assert EVIL in texts(root)


def test_empty_data_says_so() -> None:
    for svg in (
        bar_chart("空", [], [], empty_text="暂无数据"),
        stacked_bar_chart("空", ["a"], [Series("x", [0])], empty_text="暂无数据"),
        line_chart("空", [], [], empty_text="暂无数据"),
        horizontal_bar_chart("空", [], [], empty_text="暂无数据"),
    ):
        root = parse(svg)
        assert "暂无数据" in texts(root)
        assert not bars(root)


def test_line_chart_points_and_horizontal_bars() -> None:
    root = parse(line_chart("趋势", ["1日", "2日", "3日"], [Series("一般", [1, 3, 2]), Series("严重", [0, 1, 0])]))
    assert len(list(root.iter("{http://www.w3.org/2000/svg}polyline"))) == 2
    assert len(list(root.iter("{http://www.w3.org/2000/svg}circle"))) == 6
    rows = parse(horizontal_bar_chart("按阿姨", ["王阿姨", "李阿姨"], [5, 2], unit="件"))
    widths = [float(r.get("width", 0)) for r in bars(rows)]
    assert widths[0] == pytest.approx(2.5 * widths[1], rel=0.01)


def test_series_must_match_labels() -> None:
    with pytest.raises(ValueError, match="values for 2 labels"):
        stacked_bar_chart("x", ["a", "b"], [Series("s", [1])])


@pytest.mark.parametrize(
    ("maximum", "expected_top"), [(0, 1.0), (4, 4.0), (7, 8.0), (23, 25.0), (101, 125.0), (0.37, 0.4)]
)
def test_nice_ticks(maximum: float, expected_top: float) -> None:
    ticks = nice_ticks(maximum)
    assert ticks[0] == 0 and ticks[-1] == pytest.approx(expected_top)
    assert ticks[-1] >= maximum
    steps = {round(b - a, 9) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1


def test_counts_get_whole_ticks() -> None:
    assert nice_ticks(1, integer=True) == [0, 1]
    assert nice_ticks(12, integer=True) == [0, 5, 10, 15]
    root = parse(horizontal_bar_chart("按阿姨", ["王阿姨"], [1]))
    assert all("." not in t for t in texts(root))


def test_format_number() -> None:
    assert [format_number(v) for v in (3.0, 2.5, 1 / 3)] == ["3", "2.5", "0.33"]
