"""The rule language: its syntax tree, parser, types, type checker, printer and code generator."""
