"""PR text pieces: the hidden marker, the size guard, suggestions as code or prose. Plain data."""
from __future__ import annotations

from bot.publish.render import fit_body, marker, read_marker, render


def test_marker_round_trips_even_with_double_dashes():
    meta = {"recipe": "r-1", "service": "odd--name", "base": "abc"}
    text = f"body\n\n{marker(meta)}\n"
    assert "--name" not in text.split("<!--", 1)[1].rsplit("-->", 1)[0]
    assert read_marker(text) == meta
    assert read_marker("no marker") is None and read_marker("<!-- upgrade-bot:{broken -->") is None


def test_fit_body_moves_the_overflow_into_comments_and_keeps_the_marker():
    section = "".join(f"- [ ] item {i}\n" for i in range(2000))
    hidden = marker({"recipe": "r", "service": "s"})
    body = fit_body(f"head\n{section}tail\n{hidden}\n", section, hidden, limit=5000)
    assert len(body.text) <= 5000 and body.text.endswith(f"{hidden}\n") and "tail" in body.text
    assert all(len(part) <= 5000 for part in body.overflow)
    items = body.text.count("- [ ] item") + sum(p.count("- [ ] item") for p in body.overflow)
    assert items == 2000


def test_suggestions_render_as_code_only_when_they_are_code():
    manual = [{"path": "svc/a.py", "line": 3, "rule": "X1", "reason": "why", "old_code": "old()",
               "suggestion": "new(\n    mode='fast',\n)"},
              {"path": "svc/b.py", "line": 9, "rule": "X2", "reason": "why", "old_code": "Thing",
               "suggestion": "re-run this class's tests against the new version"}]
    text = render("manual_items.md.j2", manual=manual)
    assert "```python\n    new(\n        mode='fast',\n    )\n    ```" in text
    assert "  - suggested: re-run this class's tests against the new version" in text
