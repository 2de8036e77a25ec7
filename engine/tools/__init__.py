"""The analysts' tools: formatter, linter, scenario tests and coverage, and diffs between rule sets and eras."""
