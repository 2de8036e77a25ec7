"""A population run as plain data, text, Markdown or HTML (jinja2 templates in templates/impact/).

The bar chart is an inline SVG built here from numbers only: each bar's width is its share of the
cases, so the report is one self-contained file with no script.
"""

from __future__ import annotations

from typing import Any

from .run import ImpactResult

FORMATS = ("text", "json", "md", "html")
DISCLAIMER = ("Synthetic or real, a population run counts what the rules say about the facts given; it is an "
              "information and training aid, not legal advice.")


def to_dict(result: ImpactResult) -> dict[str, Any]:
    """The run's summary as JSON data: transitions per determination, rules applied, facts still needed."""
    return {
        "cases": result.cases,
        "engine": result.engine,
        "seconds": round(result.seconds, 3),
        "variants": [{"label": v.label, "as_of": v.as_of.isoformat(), "rules": v.kb.directory,
                      "kb_version": v.kb.manifest.version} for v in result.variants],
        "determinations": {
            rule.id: {"title": rule.title, "per_item": bool(rule.for_each), "changed": result.changed(rule.id),
                      "transitions": [{"from": t.before, "to": t.after, "count": t.count}
                                      for t in result.transitions[rule.id]]}
            for rule in result.determinations},
        "rules_applied": {rule_id: counts for rule_id, counts in result.applied.items()},
        "facts_needed": {"sample": result.sample,
                         "by_variant": [[{"fact": f, "cases": n} for f, n in needed] for needed in result.facts_needed]},
    }


def _chart(rows: list[dict[str, Any]], total: int) -> str:
    """An inline SVG bar per transition: the share of cases (or members) that went from one value to another."""
    height, width, label_width = 18, 360, 300
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_width + width + 80}" '
             f'height="{height * len(rows) + 4}" role="img">')]
    for i, row in enumerate(rows):
        share = row["count"] / total if total else 0.0
        y = i * height + 2
        colour = "#c0392b" if row["from"] != row["to"] else "#7f8c8d"
        text = _escape(f"{row['from']} → {row['to']}")
        parts.append(f'<text x="0" y="{y + 13}" font-size="12">{text}</text>')
        parts.append(f'<rect x="{label_width}" y="{y}" width="{max(share * width, 1):.1f}" height="{height - 4}" '
                     f'fill="{colour}"/>')
        parts.append(f'<text x="{label_width + max(share * width, 1) + 4:.1f}" y="{y + 13}" font-size="12">'
                     f'{row["count"]:,}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def view(result: ImpactResult) -> dict[str, Any]:
    """What the templates show: the JSON summary plus a chart per determination."""
    data = to_dict(result)
    data["disclaimer"] = DISCLAIMER
    data["compare"] = len(result.variants) > 1
    data["sections"] = []
    for rule_id, entry in data["determinations"].items():
        total = sum(t["count"] for t in entry["transitions"])
        data["sections"].append({"id": rule_id, **entry, "total": total, "svg": _chart(entry["transitions"], total)})
    data["applied_rows"] = [{"rule": r, "counts": c} for r, c in data["rules_applied"].items()]
    return data


def render(result: ImpactResult, fmt: str) -> str:
    """The summary as text, JSON, Markdown or self-contained HTML."""
    if fmt == "json":
        import json

        return json.dumps(to_dict(result), indent=2) + "\n"
    if fmt == "text":
        return _text(result)
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("asylum_kb", "templates/impact"), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html.j2"]), trim_blocks=True, lstrip_blocks=True)
    return env.get_template(f"summary.{fmt}.j2").render(**view(result))


def _text(result: ImpactResult) -> str:
    labels = " → ".join(f"{v.label}" for v in result.variants)
    lines = [f"{result.cases:,} cases, {labels} ({result.engine}, {result.seconds:.2f} s)", ""]
    for rule in result.determinations:
        rows = result.transitions[rule.id]
        unit = "members" if rule.for_each else "cases"
        lines.append(f"{rule.id}: {result.changed(rule.id):,} {unit} changed")
        for t in rows:
            arrow = f"{t.before} → {t.after}" if len(result.variants) > 1 else t.after
            lines.append(f"  {arrow:<48} {t.count:>12,}")
    lines.append("")
    for index, needed in enumerate(result.facts_needed):
        lines.append(f"facts still needed ({result.variants[index].label}, sample of {result.sample} cases):")
        lines += [f"  {fact:<48} {count:>12,}" for fact, count in needed] or ["  none"]
    lines += ["", DISCLAIMER]
    return "\n".join(lines) + "\n"
