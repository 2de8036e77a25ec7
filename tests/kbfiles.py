"""A small, complete rules directory for engine tests, written to a temporary folder and edited per test."""

from __future__ import annotations

import textwrap
from pathlib import Path

MANIFEST = """\
kb:
  id: mini
  title: A small knowledge base for tests
  version: 1.2.3
  date: 2026-01-01
"""

FACTS = """\
facts:
  person.age:
    type: integer
    question: How old is the person?
  person.arrived:
    type: date
    question: When did the person arrive?
  person.filed:
    type: date
    question: When did the person file?
  person.persecutor:
    type: boolean
    question: Is the person a persecutor?
  person.excused:
    type: boolean
    question: Is the delay excused?
  person.location:
    type: enum
    values: [inside, outside]
    question: Where is the person?
  person.kids:
    type: list
    question: The person's children
    items:
      type: record
      fields:
        name: {type: string, question: Name}
        born: {type: date, question: Born}
"""

ERAS = """\
timelines:
  - id: fees
    title: Fees
    eras:
      - id: fees.free
        title: No fee
        from: 2000-01-01
        to: 2025-07-22
        citations: ["Schedule A"]
      - id: fees.paid
        title: Fee
        from: 2025-07-22
        citations: ["Law B"]
"""

PARAMETERS = """\
parameters:
  - id: fee.form
    title: Form fee
    type: money
    unit: USD
    citations: ["Fee law"]
    values:
      - era: fees.free
        value: 0
        citations: ["Schedule A"]
      - from: 2025-07-22
        value: 100
        citations: ["Law B"]
"""

RULES = """\
ruleset:
  id: mini.rules
  title: Mini rules
  version: 1.0.0
rules:
  - id: mini.late
    title: Filed late
    kind: bar
    when: person.filed > person.arrived + 1 year
    citations: ["Statute 1"]
  - id: mini.excuse
    title: Excused delay
    kind: exception
    defeats: [mini.late]
    when: person.excused
    citations: ["Statute 2"]
  - id: mini.persecutor
    title: Persecutor
    kind: bar
    when: person.persecutor
    citations: ["Statute 3"]
  - id: mini.eligibility
    title: Eligible
    kind: outcome
    value: |
      if person.location == "inside" and not mini.late and not mini.persecutor
      then "eligible" else "ineligible"
    citations: ["Statute 4"]
  - id: mini.fee
    title: Fee at filing
    kind: fee
    value: fee.form at person.filed
    citations: ["Fee law"]
  - id: mini.kids
    title: Kids under 21 at filing
    kind: outcome
    for_each: {var: kid, in: person.kids, label: name}
    value: if age_on(kid.born, person.filed) < 21 then "included" else "not_eligible"
    citations: ["Statute 5"]
"""


def write_kb(root: Path, **overrides: str) -> Path:
    """Write the mini knowledge base to ``root/rules``; ``overrides`` replace or add files by name."""
    files = {"manifest.yaml": MANIFEST, "facts.yaml": FACTS, "eras.yaml": ERAS,
             "parameters.yaml": PARAMETERS, "rules.yaml": RULES, **overrides}
    rules = root / "rules"
    for name, text in files.items():
        path = rules / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return rules
