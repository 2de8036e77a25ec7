"""The ``asylum-kb`` command: parses arguments, calls the public API, prints, and sets the exit code.

Exit codes: 0 done · 1 scenario failures or internal error · 2 usage error ·
3 invalid facts · 4 invalid rules.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from asylum_kb.cli.options import as_of, as_of_dates
from asylum_kb.cli.single import answer, selection
from asylum_kb.cli.single import read_facts as _read_facts  # service/commands.py reads saved answers with it
from asylum_kb.cli.stops import closed_pipe, guarded, internal_error

EXIT_RULES = 4
OUTPUT_BLOCK_CASES = 64

F = TypeVar("F", bound=Callable[..., Any])


def _fail(error: Exception, debug: bool) -> NoReturn:
    from asylum_kb import AsylumKbError

    if isinstance(error, BrokenPipeError):
        closed_pipe()
    if debug or isinstance(error, click.ClickException):  # click prints usage errors itself, exit 2
        raise error
    if isinstance(error, AsylumKbError):
        click.echo(str(error), err=True)
        sys.exit(error.exit_code)
    click.echo(internal_error(error), err=True)
    sys.exit(1)


class _Cli(click.Group):
    """The command group; a closed output pipe ends any command quietly, a stop asked for with one line."""

    def invoke(self, ctx: click.Context) -> Any:
        return guarded(lambda: super(_Cli, self).invoke(ctx), lambda line: click.echo(line, err=True), ctx.exit)


def _write_output(path: str, text: str) -> None:
    """Write ``-o`` output; a path that cannot be written is a usage error (exit 2), not a traceback."""
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as error:
        _cannot_write(error, path)


def _folder(path: str) -> str:
    """A folder as the user gave it, shown once with one trailing '/' (``pack/`` is not ``pack//``)."""
    return os.path.normpath(path).rstrip("/") + "/" if path.strip("/") else "/"


def _cannot_write(error: OSError, path: str) -> NoReturn:
    raise click.BadParameter(f"cannot write '{error.filename or path}': {error.strerror or error}",
                             param_hint="'-o' / '--output'") from None


def _common(function: F) -> F:
    function = click.option("--rules", "rules_dir", type=click.Path(file_okay=False),
                            help="Rules directory (default: the knowledge base shipped with asylum-kb).")(function)
    return click.option("--debug", is_flag=True, help="Show Python tracebacks for internal errors.")(function)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="asylum-kb")
def main() -> None:
    """asylum-kb: U.S. asylum and refugee policy as rules, evaluated and explained.

    An information and training aid, not legal advice.
    """


@main.command("eval")
@click.argument("facts", type=str)
@click.option("--as-of", callback=as_of, help="Evaluation date (YYYY-MM-DD); overrides the facts' as_of; default today.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "yaml"]), default=None,
              help="Default: text for one case; json for a batch (one result line per case; text: a block per case).")
@click.option("--explain", is_flag=True, help="Include the proof tree of every determination.")
@click.option("--values-only", is_flag=True,
              help="JSON/YAML: only each determination's value, status and facts needed (fastest; for batches).")
@click.option("--only", "only", multiple=True, metavar="RULE",
              help="Only this determination (repeatable); explanations are built for these alone.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes for a batch (default: all cores).")
@_common
def eval_command(facts: str, as_of: date | None, fmt: str | None, explain: bool, values_only: bool,
                 only: tuple[str, ...], jobs: int | None, rules_dir: str | None, debug: bool) -> None:
    """Evaluate FACTS: a YAML or JSON file, '-' for stdin, or a batch: a .jsonl file of one case per line
    or a folder of fact files (one result per case, in input order).
    """
    stdin_lines: list[bytes] = []
    stdin_is_batch = False
    if facts == "-":
        from asylum_kb.batch.runner import peek_json_lines

        stdin_is_batch, stdin_lines = peek_json_lines(sys.stdin.buffer)
    is_batch = facts.endswith(".jsonl") or (facts != "-" and Path(facts).is_dir()) or (facts == "-" and stdin_is_batch)
    if is_batch and fmt == "yaml":
        raise click.UsageError("a batch writes --format json (one line per case) or text, not yaml")
    try:
        kb = _load(rules_dir)
        _check_only(kb, only)
        if is_batch:
            from asylum_kb.batch.runner import Options

            _eval_batch(kb, Path(facts), Options(as_of, fmt or "json", explain, debug, only or None, values_only),
                        jobs or os.cpu_count() or 1, stdin_lines)
            return
        shown = selection(explain, values_only, only)
        click.echo(answer(kb, facts, as_of, fmt or "text", shown, b"".join(stdin_lines)), nl=False)
    except click.ClickException:
        raise
    except Exception as error:  # noqa: BLE001 - every error is reported, never a traceback
        _fail(error, debug)


def _check_only(kb: Any, only: tuple[str, ...]) -> None:
    """``--only`` names determinations; anything else is a usage error (exit 2) naming the close ones."""
    from asylum_kb.language.diagnostics import suggest

    determinations = [rule.id for rule in kb.determinations]
    for rule_id in only:
        if rule_id not in determinations:
            hint = suggest(rule_id, determinations)
            raise click.BadParameter(f"'{rule_id}' is not a determination" + (f"; {hint}" if hint else ""),
                                     param_hint="'--only'")


def _eval_batch(kb: Any, path: Path, options: Any, jobs: int, stdin_lines: list[bytes]) -> None:
    """Stream a batch to stdout; a failed case is reported on stderr and the rest go on. ``path`` '-' is
    JSON Lines on stdin, of which ``stdin_lines`` were read to tell it from one document.

    Exit 3 if any case was invalid, 1 if any met an internal error.
    """
    from asylum_kb import FactsError
    from asylum_kb.batch import runner as batch
    from asylum_kb.cli.progress import Progress

    if str(path) == "-":
        cases = batch.read_jsonl_stream(sys.stdin.buffer, "<stdin>", first=stdin_lines)
    else:
        cases = batch.read_folder(path) if path.is_dir() else batch.read_jsonl(path)
    size = 0 if str(path) == "-" else batch.input_size(path)
    progress = Progress(sys.stderr, size)
    total = failed = internal = 0
    pending: list[str] = []  # written in blocks: stdout may be unbuffered (PYTHONUNBUFFERED), a write per case is slow
    try:
        for case, outcome in batch.run(kb, cases, options, jobs):
            total += 1
            if outcome.output is not None:
                pending.append(outcome.output)
                if len(pending) >= OUTPUT_BLOCK_CASES:
                    sys.stdout.write("".join(pending))
                    pending.clear()
            else:
                failed += 1
                internal += outcome.internal
                progress.clear()
                click.echo(outcome.error, err=True)
            progress.update(total, case.bytes_read)
    finally:  # whatever stops the batch (a dead worker, Ctrl-C), the results before it are written
        sys.stdout.write("".join(pending))
        sys.stdout.flush()
        progress.clear()
    progress.update(total, size, force=True)
    progress.close()
    if failed:
        click.echo(f"{failed} of {total} cases failed; the other {total - failed} were evaluated", err=True)
        sys.exit(1 if internal else FactsError.exit_code)


def _load(rules_dir: str | None) -> Any:
    from asylum_kb.kb.cache import load_cached

    return load_cached(rules_dir)


def _load_checked(directory: str | None, fmt: str, debug: bool) -> Any:
    """Load a rules folder from its files (no cache); load errors are printed in the requested format."""
    import asylum_kb

    try:
        return asylum_kb.load(directory)
    except asylum_kb.RulesError as error:
        if fmt == "json":
            click.echo(json.dumps([d.as_dict() for d in error.diagnostics], indent=2))
            sys.exit(EXIT_RULES)
        _fail(error, debug)
    except Exception as error:  # noqa: BLE001
        _fail(error, debug)


@main.command("validate")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--debug", is_flag=True, help="Show Python tracebacks for internal errors.")
def validate_command(directory: str | None, fmt: str, debug: bool) -> None:
    """Load DIRECTORY (default: the shipped rules): schema, expressions, types, references, cycles."""
    kb = _load_checked(directory, fmt, debug)
    summary = {"rules": len(kb.rules), "rulesets": len(kb.rulesets), "parameters": len(kb.parameters),
               "eras": len(kb.eras), "facts": len(kb.catalog.facts), "version": kb.manifest.version}
    if fmt == "json":
        click.echo(json.dumps({"ok": True, **summary}, indent=2))
    else:
        click.echo(f"ok: {summary['rules']} rules in {summary['rulesets']} rulesets, {summary['parameters']} parameters, "
                   f"{summary['eras']} eras, {summary['facts']} facts (knowledge base {summary['version']})")


@main.command("lint")
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--debug", is_flag=True, help="Show Python tracebacks for internal errors.")
def lint_command(directory: str | None, fmt: str, debug: bool) -> None:
    """Everything validate does, plus unused facts and rules, rules that can never fire, unverified rules, duplicates.

    Exit code 1 when there are errors; warnings alone exit 0.
    """
    from asylum_kb.tools.lint import lint

    kb = _load_checked(directory, fmt, debug)
    findings = lint(kb)
    errors = sum(1 for f in findings if f.severity == "error")
    if fmt == "json":
        click.echo(json.dumps([f.as_dict() for f in findings], indent=2))
    else:
        for finding in findings:
            click.echo(finding.render())
        click.echo(f"{errors} error(s), {len(findings) - errors} warning(s)")
    sys.exit(1 if errors else 0)


@main.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--coverage", "with_coverage", is_flag=True, help="Report the rules and exception branches no scenario exercised.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_common
def test_command(paths: tuple[str, ...], with_coverage: bool, fmt: str, rules_dir: str | None, debug: bool) -> None:
    """Run YAML scenario tests (default: tests/scenarios) and print a diff for every failure."""
    from asylum_kb.tools import scenarios
    from asylum_kb.tools.coverage import coverage, total_percent

    targets = [Path(p) for p in paths] or [Path("tests/scenarios")]
    if not paths and not targets[0].is_dir():
        raise click.UsageError("no scenario paths given and no tests/scenarios folder here")
    try:
        kb = _load(rules_dir)
        outcomes = [scenarios.run(kb, scenario) for scenario in scenarios.load_all(targets)]
    except Exception as error:  # noqa: BLE001
        _fail(error, debug)
    failed = [o for o in outcomes if not o.passed]
    files = coverage(kb, [o.result for o in outcomes if o.result is not None]) if with_coverage else []
    if fmt == "json":
        report: dict[str, Any] = {"passed": len(outcomes) - len(failed), "total": len(outcomes),
                                  "failures": [{"name": o.scenario.name, "file": o.scenario.file, "line": o.scenario.line,
                                                "failures": o.failures} for o in failed]}
        if with_coverage:
            report["coverage"] = {"percent": round(total_percent(files), 1), "files": [f.as_dict() for f in files]}
        click.echo(json.dumps(report, indent=2))
    else:
        for outcome in outcomes:
            click.echo(f"{'PASS' if outcome.passed else 'FAIL'}: {outcome.scenario.name}")
        for outcome in failed:
            click.echo("\n" + (scenarios.outcome_text(outcome) or ""))
        click.echo(f"\n{len(outcomes) - len(failed)}/{len(outcomes)} scenarios passed")
        if with_coverage:
            click.echo(f"\ncoverage: {total_percent(files):.1f}% of rules and exception branches exercised")
            for entry in files:
                click.echo(f"  {entry.percent:5.1f}%  {entry.file}")
                for missing in entry.as_dict()["not_exercised"] + entry.as_dict()["branches_not_exercised"]:
                    click.echo(f"          not exercised: {missing}")
    sys.exit(1 if failed else 0)


@main.command("diff")
@click.option("--as-of", "dates", multiple=True, callback=as_of_dates,
              help="Give twice to compare two dates; once to compare two rule folders on one date.")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(file_okay=False),
              help="Give twice to compare two versions of the knowledge base (default: the shipped one).")
@click.option("--scenarios", "scenario_paths", multiple=True, type=click.Path(exists=True),
              help="Scenario files, fact files or folders whose answers to compare (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--exit-code", "exit_code", is_flag=True, help="Exit 1 when anything differs (as git diff --exit-code).")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for internal errors.")
def diff_command(dates: list[date], rule_dirs: tuple[str, ...], scenario_paths: tuple[str, ...], fmt: str,
                 exit_code: bool, debug: bool) -> None:
    """Compare two as-of dates or two knowledge bases: eras, rules, parameters, facts, and which case answers change."""
    from asylum_kb.tools import diff

    if len(dates) > 2 or len(rule_dirs) > 2 or (len(dates) < 2 and len(rule_dirs) < 2):
        raise click.UsageError("give --as-of twice, --rules twice, or both")
    try:
        dirs = list(rule_dirs) or [None]
        kbs = [_load(d) for d in dirs]
        side_a = diff.Side(kbs[0], dates[0] if dates else None, dirs[0] or "shipped rules")
        side_b = diff.Side(kbs[-1], dates[-1] if dates else None, dirs[-1] or "shipped rules")
        report = diff.compare(side_a, side_b, diff.load_cases([Path(p) for p in scenario_paths]))
    except Exception as error:  # noqa: BLE001
        _fail(error, debug)
    click.echo(json.dumps(report, indent=2) if fmt == "json" else diff.render(report), nl=fmt == "json")
    sys.exit(1 if exit_code and report["differs"] else 0)


@main.command("docs")
@click.option("-o", "--output", type=click.Path(file_okay=False), default="rulebook", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["md", "html", "both"]), default="both", show_default=True)
@_common
def docs_command(output: str, fmt: str, rules_dir: str | None, debug: bool) -> None:
    """Generate the rulebook: one page per ruleset, parameters with their dated values, eras."""
    from asylum_kb.report import rulebook

    try:
        kb = _load(rules_dir)
        written = rulebook.write(kb, Path(output), rulebook.FORMATS if fmt == "both" else (fmt,))
    except OSError as error:
        _cannot_write(error, output)
    except Exception as error:  # noqa: BLE001
        _fail(error, debug)
    click.echo(f"wrote {len(written)} pages to {_folder(output)}")


@main.command("fmt")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if a file is not in canonical layout.")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for internal errors.")
def fmt_command(paths: tuple[str, ...], check: bool, debug: bool) -> None:
    """Lay out rule files canonically (key order, indentation), keeping comments. Default: ./rules."""
    from asylum_kb.tools.fmt import format_paths
    from ruamel.yaml import YAMLError

    targets = [Path(p) for p in paths] or [Path("rules")]
    try:
        changed = format_paths(targets, check)
    except YAMLError as error:
        click.echo(f"cannot format: {error}", err=True)
        sys.exit(EXIT_RULES)
    except Exception as error:  # noqa: BLE001
        _fail(error, debug)
    for path in changed:
        click.echo(f"{'would reformat' if check else 'reformatted'} {path}")
    if check and changed:
        sys.exit(1)
    if not changed:
        click.echo("all files in canonical layout")


@main.command("report")
@click.argument("facts", required=False)
@click.option("--pack", "pack_dir", type=click.Path(exists=True),
              help="Render every fact file in this folder, or every case of a .jsonl file, with an index (needs -o FOLDER).")
@click.option("--as-of", callback=as_of, help="Evaluation date; overrides each case's as_of.")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "both"]), default="html", show_default=True)
@click.option("-o", "--output", type=click.Path(), help="Output file (one case) or folder (--pack).")
@click.option("--exercise", is_flag=True, help="Hide the answers and reasoning behind a reveal, for trainees.")
@click.option("--templates", type=click.Path(exists=True, file_okay=False),
              help="A folder of templates overriding the shipped ones by name (case.html.j2, index.md.j2, ...).")
@_common
def report_command(facts: str | None, pack_dir: str | None, as_of: date | None, fmt: str, output: str | None,
                   exercise: bool, templates: str | None, rules_dir: str | None, debug: bool) -> None:
    """Render a case report (Markdown or self-contained HTML) or, with --pack, a training pack."""
    from asylum_kb import FactsError
    from asylum_kb.kb.factsio import fact_locator, located, read_document
    from asylum_kb.report import case_report as report

    if (facts is None) == (pack_dir is None):
        raise click.UsageError("give either FACTS or --pack FOLDER")
    if facts and facts.endswith(".jsonl"):
        raise click.UsageError(f"{facts} holds one case per line: 'asylum-kb report --pack {facts} -o FOLDER' "
                               "makes a report per case with an index")
    if pack_dir and not (Path(pack_dir).is_dir() or pack_dir.endswith(".jsonl")):
        raise click.UsageError("--pack takes a folder of fact files or a .jsonl file")
    if pack_dir and not output:
        raise click.UsageError("--pack needs -o FOLDER")
    if facts and fmt == "both":
        raise click.UsageError("--format both works with --pack only")
    template_dir = Path(templates) if templates else None
    try:
        kb = _load(rules_dir)
        if pack_dir:
            cases, errors = _pack_cases(kb, Path(pack_dir))
            formats = report.FORMATS if fmt == "both" else (fmt,)
            try:
                written = report.render_pack(kb, cases, Path(str(output)), formats, as_of, exercise, template_dir)
            except OSError as error:
                _cannot_write(error, str(output))
            click.echo(f"wrote {len(written)} files to {_folder(str(output))}")
            if errors:
                click.echo("\n".join(errors), err=True)
                click.echo(f"{len(errors)} of {len(errors) + len(cases)} cases failed and have no page", err=True)
                sys.exit(FactsError.exit_code)
            return
        text, name = _read_facts(str(facts))
        document = read_document(text, name)
        try:
            result = kb.evaluate(document.data, as_of=as_of, source=name)
        except FactsError as error:
            raise located(error, document) from None
        stem = "stdin" if facts == "-" else Path(str(facts)).stem
        page = report.render_case(kb, result, stem, fmt, exercise, template_dir, fact_locator(document))
    except Exception as error:  # noqa: BLE001
        _fail(error, debug)
    if output:
        _write_output(output, page)
    else:
        click.echo(page, nl=False)


def _pack_cases(kb: Any, source: Path) -> tuple[list[tuple[str, Any]], list[str]]:
    """The good cases of a training pack, each named for its page, and the located errors of the bad ones
    (in input order): a bad case has no page, and the others still get theirs."""
    from asylum_kb import FactsError
    from asylum_kb.batch import runner as batch
    from asylum_kb.kb.factsio import FactDocument, located, read_document, read_line
    from asylum_kb.report import case_report as report

    cases: list[tuple[str, Any]] = []
    errors: list[str] = []
    taken: set[str] = set()

    def documents() -> Iterator[tuple[str, FactDocument]]:
        if source.is_dir():
            for path in sorted(source.glob("*.yaml")) + sorted(source.glob("*.json")):
                try:
                    text, name = _read_facts(str(path))
                    yield path.stem, read_document(text, name)
                except FactsError as error:
                    errors.append(str(error))
            return
        for case in batch.read_jsonl(source):
            try:
                if case.problem is not None:
                    raise FactsError([case.problem])
                document = read_line(case.text, case.name, case.line)
            except FactsError as error:
                errors.append(str(error))
                continue
            case_id = document.data.get("id") if isinstance(document.data, dict) else None
            yield report.page_name(case_id, case.line, taken), document

    try:
        for name, document in documents():
            try:
                kb.catalog.validate(document.data, document.name)
            except FactsError as error:
                errors.append(str(located(error, document)))
                continue
            cases.append((name, document.data))
    except FactsError as error:  # the source itself cannot be read
        errors.append(str(error))
    return cases, errors


@main.command("schema")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file instead of stdout.")
@click.option("--check", "check_file", type=click.Path(exists=True, dir_okay=False),
              help="Exit 1 if this file differs from the generated schema.")
@click.option("--editor", is_flag=True, help="The schema of rule files for YAML language servers, not of fact documents.")
@_common
def schema_command(output: str | None, check_file: str | None, editor: bool, rules_dir: str | None, debug: bool) -> None:
    """Print the JSON Schema of fact documents (generated from the facts catalog), or with --editor of rule files."""
    try:
        if editor:
            from asylum_kb.kb.schema_check import editor_schema

            schema = editor_schema()
        else:
            schema = _load(rules_dir).catalog.json_schema()
        text = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
    except Exception as error:  # noqa: BLE001
        _fail(error, debug)
    if check_file:
        if Path(check_file).read_text(encoding="utf-8") != text:
            click.echo(f"{check_file} is out of date: run 'asylum-kb schema -o {check_file}'", err=True)
            sys.exit(1)
        click.echo(f"{check_file} is up to date")
    elif output:
        _write_output(output, text)
    else:
        click.echo(text, nl=False)


@main.command("facts")
@_common
def facts_command(rules_dir: str | None, debug: bool) -> None:
    """List every input fact with its type and question."""
    try:
        kb = _load(rules_dir)
    except Exception as error:  # noqa: BLE001
        _fail(error, debug)
    for name, spec in kb.catalog.facts.items():
        click.echo("\n".join(_fact_entries(name, spec)))


def _fact_entries(name: str, spec: Any) -> Iterator[str]:
    """A fact's lines for ``asylum-kb facts``, then those of each field of its records (``family.children[].name``)."""
    kind = spec.kind + (f" ({', '.join(spec.values)})" if spec.values else "")
    record = spec.items if spec.kind == "list" and spec.items is not None and spec.items.kind == "record" else None
    if record is not None:
        kind += " of records, each with the fields below"
    yield f"{name}: {kind}"
    if spec.question:
        yield f"    {spec.question}"
    if spec.citation:
        yield f"    source: {spec.citation}"
    for field in record.fields if record is not None else spec.fields:
        yield from _fact_entries(f"{name}[].{field.name}" if record is not None else f"{name}.{field.name}", field)


# The service's commands (asylum_kb/service): their modules import the web framework only when run.
from asylum_kb.service.commands import interview_command, serve_command

main.add_command(serve_command)
main.add_command(interview_command)

# Population runs (cli/impact.py): DuckDB, pyarrow and Spark are imported only when a command runs.
from asylum_kb.cli.impact import impact_command, synth_command

main.add_command(impact_command)
main.add_command(synth_command)

if __name__ == "__main__":
    main()
