"""Option callbacks shared by every command group (the core CLI, the service's, population runs)."""

from __future__ import annotations

from datetime import date

import click
from asylum_kb.language.values import iso_date


def as_of(_ctx: click.Context | None, _param: click.Parameter | None, value: str | None) -> date | None:
    """An ``--as-of`` value as a date; a bad one is a usage error (exit 2) naming it."""
    if value is None:
        return None
    try:
        return iso_date(value)  # YYYY-MM-DD only, as the Python API takes it
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date (YYYY-MM-DD)") from None


def as_of_dates(ctx: click.Context | None, param: click.Parameter | None, values: tuple[str, ...]) -> list[date]:
    """A repeated ``--as-of`` as dates, in the order given."""
    return [day for value in values if (day := as_of(ctx, param, value)) is not None]
