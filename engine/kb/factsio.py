"""Read fact documents from text: JSON or YAML, one document or one JSON Lines line, errors with line:column.

Fact errors found after parsing (an unknown fact, a wrong type) name the field's path; ``located``
places them at that field in the user's file, so every fact error reads ``file:line:column``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..language.diagnostics import Diagnostic, FactsError, Position
from ..language.record import FrozenRecord
from .files import describe_os_error

Keys = tuple[Any, ...]


def _nowhere(_keys: Keys) -> Position | None:
    """No place in the text: a document built in memory."""
    return None


class FactDocument(FrozenRecord):
    """A parsed fact document and a way back from a field's keys to its place in the text."""

    _fields = ("data", "name", "locate")
    _shown = ("data", "name")
    data: Any
    name: str
    locate: Callable[[Keys], Position | None]

    def __init__(self, data: Any, name: str, locate: Callable[[Keys], Position | None] = _nowhere) -> None:
        self.__dict__.update(data=data, name=name, locate=locate)


_UTF16_32_MARKS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
                   (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"))


def unreadable(name: str, error: OSError) -> FactsError:
    """A fact file or folder that cannot be read (missing, no permission, ...), in our own words: F304."""
    return FactsError([Diagnostic("F304", f"cannot read facts: {describe_os_error(error)}", file=name)])


def decode(data: bytes, name: str) -> str:
    """The UTF-8 text of a fact file; another encoding, or bytes that are not UTF-8, are a located F304.

    A UTF-16 or UTF-32 file (with a byte-order mark, or without one: every other byte is NUL) is
    named at 1:1; otherwise the error points at the first bad byte's line and column.
    """
    check_encoding(data, name)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = data.rfind(b"\n", 0, exc.start) + 1
        end = data.find(b"\n", exc.start)
        shown = data[start:end if end >= 0 else len(data)].decode("utf-8", "replace")
        column = len(data[start:exc.start].decode("utf-8", "replace")) + 1
        raise FactsError([Diagnostic("F304", f"byte 0x{data[exc.start]:02x} is not UTF-8 text", file=name,
                                     position=Position(data.count(b"\n", 0, exc.start) + 1, column, shown),
                                     hint="save the file as UTF-8")]) from None


def check_encoding(start: bytes, name: str) -> None:
    """Refuse, at 1:1, a file whose first bytes show UTF-16 or UTF-32 (a byte-order mark, or every other byte NUL)."""
    encoding = next((label for mark, label in _UTF16_32_MARKS if start.startswith(mark)), None)
    if encoding is None and len(start) >= 2 and b"\x00" in start[:2] and start.count(b"\x00") * 4 >= len(start):
        encoding = "UTF-16 or UTF-32 (no byte-order mark)"
    if encoding:
        raise FactsError([Diagnostic("F304", f"the file is {encoding} text, not UTF-8", file=name,
                                     position=Position(1, 1), hint="save it as UTF-8")])


def parse_document(text: str, name: str = "<facts>") -> Any:
    """One fact document; JSON when it starts with '{', YAML otherwise (safe loader, dates as text)."""
    return read_document(text, name).data


def read_document(text: str, name: str = "<facts>") -> FactDocument:
    """Like ``parse_document``, keeping the positions of its fields for error messages."""
    if text.lstrip().startswith("{"):
        return FactDocument(_json(text, name), name, _json_locator(text, 1))
    from . import yamlsource

    source = yamlsource.load(name, text)
    if source.problems:
        raise FactsError([_as_facts_problem(p) for p in source.problems])
    return FactDocument(source.data, name, source.position)


def read_line(line: str, name: str, line_no: int) -> FactDocument:
    """One JSON Lines line (without its newline): a JSON document whose positions are on line ``line_no``."""
    return FactDocument(_json(line, name, line_no), name, _json_locator(line, line_no))


def located(error: FactsError, document: FactDocument) -> FactsError:
    """The same problems, each placed at the field it names in the document's text."""
    placed = []
    for problem in error.diagnostics:
        position = problem.position
        if position is None:  # a problem with no field path is about the whole document: its start
            position = document.locate(field_keys(document.data, problem.path) if problem.path else ())
        placed.append(Diagnostic(problem.code, problem.message, problem.severity, document.name, position,
                                 problem.rule_id, problem.hint, problem.path))
    return FactsError(placed)


def fact_locator(document: FactDocument) -> Callable[[str], Position | None]:
    """Where a fact (by its path, ``applicant.date_of_birth``) sits in the document's text, for located warnings."""
    return lambda path: document.locate(field_keys(document.data, path))


def field_keys(data: Any, path: str) -> Keys:
    """The keys of a field path such as ``family.children[0].born``, matched against the document's own keys.

    Matching real keys (longest first) keeps a key that itself contains '.' or '[' whole. Where the
    path leaves the document, the keys found so far are returned, so the enclosing field is shown.
    """
    keys: list[Any] = []
    rest, node = path, data
    while rest:
        if isinstance(node, list) and (match := re.match(r"\[(\d+)\]\.?", rest)):
            index = int(match.group(1))
            if index >= len(node):
                break
            keys.append(index)
            rest, node = rest[match.end():], node[index]
            continue
        if not isinstance(node, dict):
            break
        found = [k for k in node if isinstance(k, str) and (rest == k or rest.startswith((k + ".", k + "[")))]
        if not found:
            break
        key = max(found, key=len)
        keys.append(key)
        rest, node = rest[len(key):].removeprefix("."), node[key]
    return tuple(keys)


def _json(text: str, name: str, line_no: int = 0) -> Any:
    """JSON text; ``line_no`` is the line it sits on in a JSON Lines file (0: a file of its own)."""
    try:
        if text.startswith("\ufeff"):  # as json.loads says it
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        data = _READER.decode(text)
    except json.JSONDecodeError as exc:
        lines = text.splitlines() or [""]
        source_line = lines[exc.lineno - 1] if exc.lineno - 1 < len(lines) else ""
        position = Position(line_no or exc.lineno, exc.colno, text if line_no else source_line)
        raise FactsError([Diagnostic("F304", f"invalid JSON: {exc.msg}", file=name, position=position)]) from None
    except _BadNumber as bad:
        raise _located(text, name, "F304", f"number {bad.token[:40]} is out of range", _number_offset(text, bad.token),
                       f"numbers have at most {MAX_NUMBER_DIGITS} digits and an exponent within ±{MAX_EXPONENT}",
                       line_no) from None
    except _DuplicateKey:
        key, offset = _first_duplicate(text)
        raise _located(text, name, "F304", f"duplicate key '{key}'", offset,
                       "JSON readers keep only one of them; remove or rename the other", line_no) from None
    except _NotANumber as bad:
        raise _located(text, name, "F304", f"{bad.token} is not a number JSON allows", _number_offset(text, bad.token),
                       "write a finite number, or null for unknown", line_no) from None
    except ValueError as exc:  # anything else Python's reader refuses, at the document's start
        raise _located(text, name, "F304", f"invalid JSON: {exc}", 0, None, line_no) from None
    except RecursionError:
        raise _located(text, name, "F303", f"JSON is nested too deeply for the reader (here it passes {MAX_JSON_DEPTH} levels)",
                       _too_deep(text), "fact documents are a few levels deep", line_no) from None
    if "\\u" in text and _has_surrogate(data):
        raise _located(text, name, "F304", "text holds a lone UTF-16 surrogate (\\ud800-\\udfff), which is not a character",
                       _lone_surrogate(text), "escape characters outside the BMP as a surrogate pair, or write them as they are",
                       line_no)
    return data


def _located(text: str, name: str, code: str, message: str, offset: int, hint: str | None = None,
             line_no: int = 0) -> FactsError:
    """A problem at ``offset`` in ``text``; ``line_no`` is the text's line in a JSON Lines file (0: a file of its own)."""
    line = text.count("\n", 0, offset)
    column = offset - (text.rfind("\n", 0, offset) + 1)
    lines = text.splitlines() or [""]
    source_line = lines[line] if line < len(lines) else ""
    position = Position(line_no, column + 1, text) if line_no else Position(line + 1, column + 1, source_line)
    return FactsError([Diagnostic(code, message, file=name, position=position, hint=hint)])


MAX_NUMBER_DIGITS = 100
MAX_EXPONENT = 100


class _BadNumber(Exception):
    def __init__(self, token: str):
        super().__init__(token)
        self.token = token


def _integer(token: str) -> int:
    if len(token) > MAX_NUMBER_DIGITS:  # Python refuses to convert more than 4,300 digits
        raise _BadNumber(token)
    return int(token)


def _decimal(token: str) -> Decimal:
    """Exact, and bounded: ``1.0e999999999`` would overflow every later comparison."""
    try:
        value = Decimal(token)
    except ArithmeticError:  # an exponent past what the decimal module can hold
        raise _BadNumber(token) from None
    if len(token) > MAX_NUMBER_DIGITS or not value.is_finite() or abs(value.adjusted()) > MAX_EXPONENT:
        raise _BadNumber(token)
    return value


def _number_offset(text: str, token: str) -> int:
    """Where the number ``token`` stands in the text: outside strings, not part of a longer number."""
    index = 0
    while index < len(text):
        if text[index] == '"':
            string = re.compile(_STRING).match(text, index)
            index = string.end() if string else index + 1
            continue
        end = index + len(token)
        if (text.startswith(token, index) and (index == 0 or text[index - 1] not in _NUMBER_CHARS)
                and (end == len(text) or text[end] not in _NUMBER_CHARS)):
            return index
        index += 1
    return 0


_NUMBER_CHARS = frozenset("0123456789.eE+-")


class _DuplicateKey(Exception):
    """Raised inside the JSON parser; the key is then located by ``_first_duplicate``."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object's keys must differ, as in YAML: with two, a `true` followed by a `false` would vanish."""
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _DuplicateKey
    return out


# The patterns of the error paths are kept as text: ``re.compile`` caches each on first use, so a start
# that reads a good document compiles none of them.
_STRING = r'"(?:[^"\\]|\\.)*"'
_SURROGATE_ESCAPE = r"\\u([dD][89a-fA-F][0-9a-fA-F]{2})"


def _first_duplicate(text: str) -> tuple[str, int]:
    """The first key repeated within one object, and its offset (the text is valid JSON)."""
    containers: list[set[str]] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == '"':
            token = re.compile(_STRING).match(text, index)
            assert token is not None  # the text parsed, so every string is closed
            if text[token.end():].lstrip(" \t\r\n").startswith(":"):
                key = json.loads(token.group())
                if key in containers[-1]:
                    return key, index
                containers[-1].add(key)
            index = token.end()
            continue
        if char in "{[":
            containers.append(set())
        elif char in "}]":
            containers.pop()
        index += 1
    return "", 0


def _has_surrogate(data: Any) -> bool:
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if any("\ud800" <= char <= "\udfff" for char in value):
                return True
        elif isinstance(value, dict):
            pending += [*value.keys(), *value.values()]
        elif isinstance(value, list):
            pending += value
    return False


def _lone_surrogate(text: str) -> int:
    """The offset of the first surrogate escape that is not half of a pair."""
    escapes = [(m.start(), int(m.group(1), 16)) for m in re.compile(_SURROGATE_ESCAPE).finditer(text)]
    for index, (offset, code) in enumerate(escapes):
        following = escapes[index + 1] if index + 1 < len(escapes) else None
        preceding = escapes[index - 1] if index else None
        if code < 0xDC00 and not (following and following[0] == offset + 6 and following[1] >= 0xDC00):
            return offset
        if code >= 0xDC00 and not (preceding and preceding[0] == offset - 6 and preceding[1] < 0xDC00):
            return offset
    return 0


class _NotANumber(Exception):
    def __init__(self, token: str):
        super().__init__(token)
        self.token = token


def _reject_constant(token: str) -> Any:
    """``NaN``, ``Infinity`` and ``-Infinity``: Python's reader takes them, JSON does not."""
    raise _NotANumber(token)


# One reader for every document (json.loads with options builds a new one per call): numbers bounded and exact,
# no NaN or Infinity, no duplicate keys.
_READER = json.JSONDecoder(parse_float=_decimal, parse_int=_integer, parse_constant=_reject_constant,
                           object_pairs_hook=_unique_keys)


MAX_JSON_DEPTH = 100  # where a too-deep error points; the reader itself stops where Python's recursion does


def _too_deep(text: str) -> int:
    """The offset of the first bracket that opens level ``MAX_JSON_DEPTH + 1``, strings skipped."""
    depth = 0
    for token in re.compile(_BRACKET_OR_STRING).finditer(text):
        char = token.group()
        if char in "{[":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return token.start()
        elif char in "}]":
            depth -= 1
    return 0


_BRACKET_OR_STRING = r'"(?:[^"\\]|\\.)*"?|[\[\]{}]'


def _as_facts_problem(problem: Diagnostic) -> Diagnostic:
    return Diagnostic("F304", problem.message, file=problem.file, position=problem.position, hint=problem.hint)


def _json_locator(text: str, first_line: int) -> Callable[[Keys], Position | None]:
    """Positions of the values of (already valid) JSON text, computed only when an error asks for one."""
    offsets: dict[Keys, int] = {}

    def locate(keys: Keys) -> Position | None:
        if not offsets:
            try:
                _scan_value(text, 0, (), offsets)
            except (RecursionError, IndexError, ValueError):
                pass  # positions are a courtesy: an error without one is still reported
        for cut in range(len(keys), -1, -1):
            offset = offsets.get(keys[:cut])
            if offset is not None:
                line = text.count("\n", 0, offset)
                start = text.rfind("\n", 0, offset) + 1
                end = text.find("\n", offset)
                return Position(first_line + line, offset - start + 1, text[start:end if end >= 0 else len(text)])
        return None

    return locate


_SPACE = r"[ \t\n\r]*"
_SCALAR = r"[^,\]}\s]+"


def _scan_value(text: str, index: int, keys: Keys, offsets: dict[Keys, int]) -> int:
    """Record where each value starts, by its keys; returns the index after the value."""
    from json.decoder import scanstring  # type: ignore[attr-defined]  # public since Python 2, not in typeshed

    index = re.compile(_SPACE).match(text, index).end()  # type: ignore[union-attr]  # matches the empty string too
    offsets[keys] = index
    opening = text[index]
    if opening == '"':
        return int(scanstring(text, index + 1)[1])
    if opening not in "{[":
        return re.compile(_SCALAR).match(text, index).end()  # type: ignore[union-attr]  # valid JSON: a scalar is here
    closing, position = ("}" if opening == "{" else "]"), 0
    index = re.compile(_SPACE).match(text, index + 1).end()  # type: ignore[union-attr]
    while text[index] != closing:
        if opening == "{":
            key, index = scanstring(text, index + 1)
            index = re.compile(_SPACE).match(text, index).end() + 1  # type: ignore[union-attr]  # past the ':'
            index = _scan_value(text, index, keys + (key,), offsets)
        else:
            index = _scan_value(text, index, keys + (position,), offsets)
            position += 1
        index = re.compile(_SPACE).match(text, index).end()  # type: ignore[union-attr]
        if text[index] == ",":
            index = re.compile(_SPACE).match(text, index + 1).end()  # type: ignore[union-attr]
    return index + 1
