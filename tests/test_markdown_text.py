"""Markdown escaping of values from facts: each hostile input renders as the text it was."""

from __future__ import annotations

import pytest
from asylum_kb.report.markdown_text import escape_markdown


@pytest.mark.parametrize("value,escaped", [
    ("Nadia", "Nadia"),
    ("application.filing_date", "application.filing_date"),  # underscores inside a word are plain text
    ("_em_", "\\_em\\_"),
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ("[x](javascript:alert(1))", "\\[x\\](javascript:alert(1))"),
    ("![i](u)", "\\!\\[i\\](u)"),
    ("a|b", "a\\|b"),
    ("one\ntwo\r\nthree\u2028four", "one two three four"),
    ("# heading", "\\# heading"),
    ("- item", "\\- item"),
    ("12) item", "12\\) item"),
    ("`tick` **b** ~~s~~", "\\`tick\\` \\*\\*b\\*\\* \\~\\~s\\~\\~"),
    ("a & b", "a &amp; b"),
    ("back\\slash", "back\\\\slash"),
    (2027, "2027"),
], ids=lambda v: repr(v)[:20])
def test_escape_markdown(value: object, escaped: str) -> None:
    assert escape_markdown(value) == escaped
