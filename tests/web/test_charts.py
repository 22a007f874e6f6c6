"""The SVG charts: parsed as XML, their shapes match the numbers, their texts are escaped and say
the numbers in words."""

import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from feedback_router.web import charts
from feedback_router.web.charts import line_chart, sparkline, stacked_bars

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(svg: Markup) -> ET.Element:
    assert isinstance(svg, Markup)
    assert "style=" not in svg  # the pages' CSP refuses inline styles
    root = ET.fromstring(str(svg))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img"
    title = root.find("svg:title", NS)
    assert title is not None and title.text == root.get("aria-label")
    return root


def points(polyline: ET.Element) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in (p.split(",") for p in polyline.get("points", "").split())]


def test_a_sparkline_rises_and_falls_with_its_values_and_says_them():
    root = parse(sparkline([0, 2, 4, 1], title="Reports per day"))
    (line,) = root.findall("svg:polyline", NS)
    drawn = points(line)
    assert len(drawn) == 4
    xs, ys = [x for x, _ in drawn], [y for _, y in drawn]
    assert xs == sorted(xs) and len(set(xs)) == 4
    bottom, top = ys[0], ys[2]  # 0 sits on the baseline, 4 (the largest) at the top
    assert bottom > top
    for value, y in zip([0, 2, 4, 1], ys, strict=True):
        assert (bottom - y) == pytest.approx((bottom - top) * value / 4, abs=0.02)
    assert root.get("aria-label") == "Reports per day: 0, 2, 4, 1"


def test_a_sparkline_of_zeros_or_nothing_is_still_a_picture():
    flat = parse(sparkline([0, 0, 0]))
    assert len({y for _, y in points(flat.find("svg:polyline", NS))}) == 1  # type: ignore[arg-type]
    empty = parse(sparkline([], title="none yet"))
    assert empty.find("svg:polyline", NS) is None


def test_stacked_bars_have_one_bar_per_label_and_heights_to_scale():
    series = {"bug report": [2, 0, 1], "question": [1, 0, 3]}
    root = parse(stacked_bars(series, ["05-01", "05-02", "05-03"], title="Items per day"))
    bars = root.findall(".//svg:g[@class='bar']", NS)
    assert [b.get("data-label") for b in bars] == ["05-01", "05-02", "05-03"]
    assert [b.get("data-total") for b in bars] == ["3", "0", "4"]
    baseline = charts.TOP + charts.PLOT_HEIGHT
    for bar, total in zip(bars, [3, 0, 4], strict=True):
        rects = bar.findall("svg:rect", NS)
        heights = {r.get("data-series"): float(r.get("height", 0)) for r in rects}
        for rect in rects:
            value = int(rect.get("data-value", 0))
            assert float(rect.get("height", 0)) == pytest.approx(charts.PLOT_HEIGHT * value / 4, abs=0.02)
        # stacked from the baseline up, without gaps: the top of the stack is the total's height
        if rects:
            assert min(float(r.get("y", 0)) for r in rects) == pytest.approx(
                baseline - charts.PLOT_HEIGHT * total / 4, abs=0.03
            )
            assert max(float(r.get("y", 0)) + float(r.get("height", 0)) for r in rects) == pytest.approx(
                baseline, abs=0.03
            )
        assert sum(heights.values()) == pytest.approx(charts.PLOT_HEIGHT * total / 4, abs=0.05)
    assert bars[1].findall("svg:rect", NS) == []  # an empty day draws nothing, but keeps its place
    assert root.get("aria-label") == (
        "Items per day. 05-01: bug report 2, question 1; 05-02: 0; 05-03: bug report 1, question 3"
    )


def test_line_chart_points_follow_the_values_with_gaps_for_missing_ones():
    series = {"negative": [50.0, None, 25.0, 0.0], "positive": [50.0, None, 75.0, 100.0]}
    root = parse(line_chart(series, ["a", "b", "c", "d"], title="Share", unit="%", max_value=100))
    groups = {g.get("data-series"): g for g in root.findall(".//svg:g[@class='series']", NS)}
    assert set(groups) == {"negative", "positive"}
    baseline = charts.TOP + charts.PLOT_HEIGHT
    for name, values in series.items():
        group = groups[name]
        dots = [(float(c.get("cx", 0)), float(c.get("cy", 0))) for c in group.findall("svg:circle", NS)]
        present = [v for v in values if v is not None]
        assert len(dots) == len(present)
        for (_, y), value in zip(dots, present, strict=True):
            assert baseline - y == pytest.approx(charts.PLOT_HEIGHT * value / 100, abs=0.02)
        # the missing value breaks the line: one piece before it (a single point, so no line) and one after
        lines = group.findall("svg:polyline", NS)
        assert [len(points(line)) for line in lines] == [2]
    assert "b: negative —, positive —" in root.get("aria-label", "")
    assert "c: negative 25%, positive 75%" in root.get("aria-label", "")


def test_labels_and_names_are_escaped():
    nasty = '<script>alert("x")</script> & co'
    for svg in (
        sparkline([1, 2], title=nasty),
        stacked_bars({nasty: [1]}, [nasty], title=nasty),
        line_chart({nasty: [1.0, 2.0]}, [nasty, "b"], title=nasty),
    ):
        assert "<script>" not in svg
        root = parse(svg)  # well-formed: nothing broke out of its attribute or element
        assert nasty in root.get("aria-label", "")
        texts = [e.text for e in root.iter() if e.text]
        assert any(nasty in text for text in texts)


def test_numbers_are_said_as_people_read_them():
    assert charts.number(3) == "3"
    assert charts.number(2.0) == "2"
    assert charts.number(33.333) == "33.3"
    assert charts.number(0.04) == "0"
