"""Batches: many cases in, one result per case out, in input order, streamed, on several processes.

Cases come from a JSON Lines file (one case a line, split on ``\\n`` only) or a folder of fact files,
read lazily so memory does not grow with the input. Each case is evaluated by one function,
``evaluate_text``; a case that fails gives its error instead of a result and the batch goes on.
With more than one job, worker processes each unpickle the compiled knowledge base once and take
chunks of cases; at most a few chunks are in flight, so memory stays bounded, and results are
written in input order.
"""

from __future__ import annotations

import json
import stat
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO, NamedTuple

from ..kb import factsio
from ..kb.knowledge_base import KnowledgeBase
from ..language.diagnostics import AsylumKbError, Diagnostic, FactsError, Position

# What json.dumps(data, ensure_ascii=False) writes, from one encoder: json.dumps builds a new one per call unless
# every option is the default. A result never refers to itself, so the circular-reference check is skipped.
_json_line = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode

MAX_CASE_BYTES = 5_000_000
CHUNK_SIZE = 64
CHUNKS_IN_FLIGHT_PER_JOB = 4
FACT_FILE_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Options:
    """What each case's output holds: ``fmt`` is ``json`` (one line) or ``text`` (a block)."""

    as_of: date | None = None
    fmt: str = "json"
    explain: bool = False
    debug: bool = False  # let an internal error propagate (with its traceback) instead of reporting it
    only: tuple[str, ...] | None = None  # these determinations alone
    values_only: bool = False  # each determination's value, status and facts needed, nothing else


class Case(NamedTuple):
    """One case as read: its text, or the problem that kept it from being read.

    A named tuple, not a dataclass: a million of them cross to worker processes, and a frozen dataclass
    costs several times more to create and to unpickle.
    """

    name: str  # the file, for messages
    line: int  # its line in a JSON Lines file; 0 for a fact file of its own
    text: str = ""
    problem: Diagnostic | None = None
    bytes_read: int = 0  # of the whole input so far, for progress

    @property
    def label(self) -> str:
        return f"line {self.line}" if self.line else self.name


class Outcome(NamedTuple):
    """A case's output (a JSON line or a text block), or the rendered error that replaced it (a named tuple, as
    ``Case``: one comes back from a worker for every case)."""

    output: str | None = None
    error: str | None = None
    internal: bool = False  # the error is a bug of ours, not of the case


def read_jsonl(path: Path, limit: int = MAX_CASE_BYTES) -> Iterator[Case]:
    """The non-blank lines of a JSON Lines file as cases; a line over ``limit`` bytes or not UTF-8 is a problem case."""
    with _open_input(path) as handle:
        yield from read_jsonl_stream(handle, str(path), limit)


def read_jsonl_stream(handle: BinaryIO, name: str, limit: int = MAX_CASE_BYTES,
                      first: Iterable[bytes] = ()) -> Iterator[Case]:
    """The cases of JSON Lines read from ``handle`` (a file or stdin); ``first`` are lines already read from it."""
    read = 0
    line_no = 0
    pending = deque(first)
    while True:
        raw = pending.popleft() if pending else handle.readline(limit + 1)
        if not raw:
            return
        line_no += 1
        read += len(raw)
        if line_no == 1:
            factsio.check_encoding(raw, name)  # a UTF-16 file would fail on every line: say so once
        if len(raw) > limit and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # skip the rest of the over-long line
                raw = handle.readline(limit)
                read += len(raw)
            yield Case(name, line_no, problem=Diagnostic("F303", f"case is larger than {limit:,} bytes", file=name,
                                                          position=Position(line_no, 1)), bytes_read=read)
            continue
        try:
            # a byte-order mark may open the file (editors on Windows write one); it is not part of the case
            text = raw.decode("utf-8-sig" if line_no == 1 else "utf-8").rstrip("\r\n")
        except UnicodeDecodeError as exc:
            column = len(raw[:exc.start].decode("utf-8", "replace")) + 1  # in characters, as the other errors count
            yield Case(name, line_no, problem=Diagnostic("F304", f"byte 0x{raw[exc.start]:02x} is not UTF-8 text",
                                                          file=name, position=Position(line_no, column)),
                       bytes_read=read)
            continue
        if text.strip():
            yield Case(name, line_no, text, bytes_read=read)


def peek_json_lines(handle: BinaryIO, limit: int = MAX_CASE_BYTES) -> tuple[bool, list[bytes]]:
    """Whether the input on ``handle`` (stdin, which has no name to go by) is JSON Lines, and the lines read to tell.

    It is when its first non-blank line is a whole JSON object by itself and another non-blank line
    follows. A JSON or YAML document written over several lines never has a complete first line,
    and a complete object followed by more text would not be one valid document anyway; a single
    line stays a single document.
    """
    lines: list[bytes] = []
    first: bytes | None = None
    while True:
        raw = handle.readline(limit + 1)
        if not raw:
            return False, lines
        lines.append(raw)
        if not raw.strip():
            continue
        if first is not None:
            break
        first = raw
        text = raw.decode("utf-8-sig", "replace").strip()
        if not (text.startswith("{") and text.endswith("}")):
            return False, lines
        try:
            if not isinstance(json.loads(text), dict):
                return False, lines
        except (ValueError, RecursionError):
            return False, lines
    return True, lines


def _open_input(path: Path) -> BinaryIO:
    """A JSON Lines file, or a pipe (it streams); a device such as /dev/zero or a folder is refused."""
    try:
        kind = path.stat().st_mode
        if not (stat.S_ISREG(kind) or stat.S_ISFIFO(kind)):
            raise FactsError([Diagnostic("F304", "cannot read facts: not a regular file or a pipe", file=str(path))])
        return path.open("rb")
    except OSError as exc:
        raise factsio.unreadable(str(path), exc) from None


def read_folder(folder: Path, limit: int = MAX_CASE_BYTES) -> Iterator[Case]:
    """Every fact file (``.yaml``, ``.yml``, ``.json``) directly in a folder, sorted by name, as cases."""
    read = 0
    try:
        paths = sorted(p for p in folder.iterdir() if p.suffix in FACT_FILE_SUFFIXES and p.is_file())
    except OSError as exc:
        raise factsio.unreadable(str(folder), exc) from None
    for path in paths:
        try:
            with path.open("rb") as handle:
                raw = handle.read(limit + 1)
            read += len(raw)
            if len(raw) > limit:
                yield Case(str(path), 0, problem=Diagnostic("F303", f"case is larger than {limit:,} bytes",
                                                             file=str(path)), bytes_read=read)
            else:
                yield Case(str(path), 0, factsio.decode(raw, str(path)), bytes_read=read)
        except FactsError as error:
            yield Case(str(path), 0, problem=error.diagnostics[0], bytes_read=read)
        except OSError as exc:
            yield Case(str(path), 0, problem=factsio.unreadable(str(path), exc).diagnostics[0], bytes_read=read)


def input_size(path: Path) -> int:
    """The bytes a batch will read, for progress; 0 when unknown."""
    try:
        if path.is_dir():
            return sum(p.stat().st_size for p in path.iterdir() if p.suffix in FACT_FILE_SUFFIXES and p.is_file())
        return path.stat().st_size
    except OSError:
        return 0


def evaluate_text(kb: KnowledgeBase, case: Case, options: Options) -> str:
    """One case's output: its JSON result line, or its text block headed by its id or line number.

    Raises ``FactsError`` (placed at ``file:line:column``) for a case that cannot be evaluated.
    """
    if case.problem is not None:
        raise FactsError([case.problem])
    document = (factsio.read_line(case.text, case.name, case.line) if case.line
                else factsio.read_document(case.text, case.name))
    try:
        result = kb.evaluate(document.data, as_of=options.as_of, source=case.name)
    except FactsError as error:
        raise factsio.located(error, document) from None
    if options.fmt == "text":
        from ..report.render_text import render

        heading = f"case {result.id} ({case.label})" if result.id is not None else case.label
        return f"── {heading} ──\n{render(result, explain=options.explain, only=options.only, locate=factsio.fact_locator(document))}\n"
    data = result.to_dict(explain=options.explain, only=options.only, values_only=options.values_only and not options.explain)
    return _json_line(data) + "\n"


def evaluate_case(kb: KnowledgeBase, case: Case, options: Options) -> Outcome:
    """A case's outcome: its output, or its error. A bug met by one case is reported for that case
    (unless ``options.debug``), so the other cases' results are not lost.
    """
    try:
        return Outcome(output=evaluate_text(kb, case, options))
    except FactsError as error:
        return Outcome(error=str(error))
    except Exception as error:  # reported for this case alone; --debug re-raises
        if options.debug:
            raise
        where = f"{case.name}:{case.line}" if case.line else case.name
        return Outcome(error=f"{where}: internal error: {type(error).__name__}: {error} (run with --debug for details)",
                       internal=True)


def run(kb: KnowledgeBase, cases: Iterable[Case], options: Options, jobs: int = 1) -> Iterator[tuple[Case, Outcome]]:
    """Each case with its outcome, in input order; ``jobs`` > 1 spreads chunks of cases over processes.

    A worker that dies is a ``WorkerDied`` error (B100), never a wait without end; closing the iterator
    early stops the workers.
    """
    if jobs <= 1:
        for case in cases:
            yield case, evaluate_case(kb, case, options)
        return
    from .workers import WorkerLost, map_in_order

    chunks = map_in_order(lambda: (kb, options), _evaluate_chunk, _chunks(cases, CHUNK_SIZE), jobs,
                          window=jobs * CHUNKS_IN_FLIGHT_PER_JOB)
    try:
        for chunk, outcomes in chunks:
            yield from zip(chunk, outcomes)
    except WorkerLost as lost:
        first = lost.chunk[0]
        raise WorkerDied([Diagnostic(
            "B100", "a batch worker process stopped unexpectedly (killed, or out of memory?) before returning "
            "its results; every result before this case was written, the rest were not evaluated",
            file=first.name, position=Position(first.line, 1) if first.line else None,
            hint="run again with --jobs 1 to find a case that stops the process")]) from None
    finally:
        chunks.close()


class WorkerDied(AsylumKbError):
    """A worker process ended without returning its chunk: the batch stops rather than wait for ever."""

    exit_code = 1


def _chunks(cases: Iterable[Case], size: int) -> Iterator[list[Case]]:
    chunk: list[Case] = []
    for case in cases:
        chunk.append(case)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _evaluate_chunk(state: tuple[KnowledgeBase, Options], chunk: list[Case]) -> list[Outcome]:
    """A worker's job: the outcomes of one chunk of cases."""
    kb, options = state
    return [evaluate_case(kb, case, options) for case in chunk]
