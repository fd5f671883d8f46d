"""Where a person came from, as SQL: the invite link they joined through, an import, the group's
creation, or no membership at all (someone who answered a public event)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.sql import ColumnElement

from ...models import Invite, Membership

KINDS = ("invite", "import", "created", "none")


def channel_columns() -> tuple[ColumnElement, ColumnElement]:
    """(source, label) of a membership joined with its invite (both outer joins): the two
    columns a query groups by. A membership without invite keeps an empty label."""
    return (
        func.coalesce(Membership.source, "none").label("source"),
        func.coalesce(Invite.label, "").label("label"),
    )


@dataclass(frozen=True, order=True)
class Channel:
    source: str  # invite, import, created, none
    label: str = ""  # the invite link's label

    @property
    def key(self) -> str:
        """A stable name for CSV files: the invite's label, else the source."""
        return self.label if self.source == "invite" and self.label else self.source
