"""Escape text for Markdown, so that a fact value (a child's name, a file name) is shown as text and never as markup.

HTML reports are escaped by jinja2's autoescape; Markdown has no such switch, and a value such as
``[x](javascript:…)``, ``<script>``, ``|`` or a newline would otherwise become a link, raw HTML, a
table cell or a new block.
"""

from __future__ import annotations

import re

_LINE_BREAKS = re.compile(r"\s*[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+\s*")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_PUNCTUATION = re.compile(r"([\\`*\[\]|#~!])")
_EDGE_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")  # inside a word (fact_name) it is plain text
_BLOCK_START = re.compile(r"^(\s*)([-+=]|\d+[.)])")


def escape_markdown(value: object) -> str:
    """``value`` as inline Markdown text: one line, no HTML, links, emphasis, code, table cells or block markers."""
    text = _LINE_BREAKS.sub(" ", str(value))
    text = "".join(_ENTITIES.get(char, char) for char in text)
    text = _PUNCTUATION.sub(r"\\\1", text)
    text = _EDGE_UNDERSCORE.sub(r"\\_", text)
    return _BLOCK_START.sub(lambda m: m[1] + "".join("\\" + c if not c.isdigit() else c for c in m[2]), text)
