"""Diagnostics: one error shape for every stage, rendered like a compiler message.

Each stage raises its own exception carrying ``Diagnostic`` objects; the CLI prints them
and maps the exception class to an exit code. Positions are 1-based lines and columns of
the file the user edits (for an expression, the YAML file that holds it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .record import FrozenRecord


class Position(FrozenRecord):
    """A 1-based line and column in the file the user edits, with that line's text for the caret."""

    _fields = ("line", "column", "source_line")
    line: int
    column: int
    source_line: str

    def __init__(self, line: int, column: int, source_line: str = "") -> None:
        self.__dict__.update(line=line, column=column, source_line=source_line)


class Diagnostic(FrozenRecord):
    """One problem: a stable code, severity, location, message, rule id and hint, rendered like a compiler's."""

    _fields = ("code", "message", "severity", "file", "position", "rule_id", "hint", "path")
    code: str
    message: str
    severity: str
    file: str | None
    position: Position | None
    rule_id: str | None
    hint: str | None
    path: str | None  # a fact document's field (``family.children[0].born``), to locate it in the file

    def __init__(self, code: str, message: str, severity: str = "error", file: str | None = None,
                 position: Position | None = None, rule_id: str | None = None, hint: str | None = None,
                 path: str | None = None) -> None:
        self.__dict__.update(code=code, message=message, severity=severity, file=file, position=position,
                             rule_id=rule_id, hint=hint, path=path)

    @property
    def location(self) -> str:
        """``file:line:column`` as far as it is known, for editors to jump to."""
        parts = [self.file or "<input>"]
        if self.position:
            parts += [str(self.position.line), str(self.position.column)]
        return ":".join(parts)

    def render(self) -> str:
        head = f"{self.location}: {self.severity} {self.code}"
        if self.rule_id:
            head += f" [{self.rule_id}]"
        lines = [f"{head}: {self.message}"]
        if self.position and self.position.source_line:
            text = self.position.source_line.rstrip("\n")
            gutter = f"{self.position.line:>5} | "
            lines.append(gutter + text)
            caret_pad = "".join("\t" if ch == "\t" else " " for ch in text[: self.position.column - 1])
            lines.append(" " * (len(gutter) - 2) + "| " + caret_pad + "^")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": self.file,
            "line": self.position.line if self.position else None,
            "column": self.position.column if self.position else None,
            "rule_id": self.rule_id,
            "hint": self.hint,
        }


class AsylumKbError(Exception):
    """Root of the errors a user can act on; carries one or more diagnostics."""

    exit_code = 1

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = sorted(diagnostics, key=_sort_key)
        super().__init__("\n".join(d.render() for d in self.diagnostics))


class RulesError(AsylumKbError):
    """The knowledge base (rule, parameter, era or fact-catalog files) cannot be loaded."""

    exit_code = 4


class FactsError(AsylumKbError):
    """A fact document is malformed, names an unknown fact or gives a value of the wrong type."""

    exit_code = 3


class UnknownRuleError(KeyError):
    """A rule or determination id the knowledge base does not have (a ``KeyError``, with close matches)."""

    def __init__(self, rule_id: str, hint: str | None = None):
        super().__init__(rule_id)
        self.rule_id, self.hint = rule_id, hint

    def __str__(self) -> str:
        return f"no rule or determination '{self.rule_id}'" + (f": {self.hint}" if self.hint else "")


class ExpressionError(Exception):
    """A parse or type error inside one expression; ``span`` is an offset range in its text.

    The loader turns it into a ``Diagnostic`` located in the YAML file.
    """

    def __init__(self, code: str, message: str, span: tuple[int, int], hint: str | None = None):
        super().__init__(message)
        self.code, self.message, self.span, self.hint = code, message, span, hint


def _sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    line, column = (d.position.line, d.position.column) if d.position else (0, 0)
    return (d.file or "", line, column, d.code)


_NEGATIONS = ("not_", "no_", "non_", "non", "un")


def _opposite(one: str, other: str) -> bool:
    """``other`` holds ``one`` negated, or the other way round (``filed`` and ``not_filed``, ``was_unfiled``)."""
    one, other = one.lower(), other.lower()
    return any(prefix + one in other or prefix + other in one for prefix in _NEGATIONS)


def suggest(name: str, known: Iterable[str]) -> str | None:
    """A "did you mean" hint naming the closest known names, if any are close.

    A name that is the typed one with a negating prefix (``filed`` → ``not_filed``) is never
    suggested: it means the opposite, and nothing is better than that.
    """
    import difflib  # only on an error path: it is not needed to start

    candidates = [k for k in known if not _opposite(name, k)]
    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
    if not close:
        return None
    return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"


OffsetMapper = Callable[[int], Position]


def text_positions(text: str) -> OffsetMapper:
    """Map offsets of a standalone text (no enclosing file) to its own lines and columns."""
    lines = text.splitlines() or [""]

    def locate(offset: int) -> Position:
        before = text[:offset]
        line = before.count("\n")
        column = offset - (before.rfind("\n") + 1)
        return Position(line + 1, column + 1, lines[min(line, len(lines) - 1)])

    return locate


def expression_diagnostic(
    error: ExpressionError, locate: OffsetMapper, file: str | None, rule_id: str | None
) -> Diagnostic:
    """Place an expression error at its position in the enclosing file."""
    return Diagnostic(
        code=error.code,
        message=error.message,
        file=file,
        position=locate(error.span[0]),
        rule_id=rule_id,
        hint=error.hint,
    )
