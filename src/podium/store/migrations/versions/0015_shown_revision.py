"""The revision of what read-only commands show: a second row of board_revision

Revision ID: 0015
Revises: 0013
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
SHOWN_ROW = 2  # store/plain.py


def upgrade() -> None:
    table = sa.table(
        "board_revision", sa.column("id", sa.Integer()), sa.column("value", sa.BigInteger())
    )
    # a random start: a store made anew in the same folder (or restored) never counts through
    # the revisions an earlier one had kept outputs for
    op.bulk_insert(table, [{"id": SHOWN_ROW, "value": secrets.randbelow(2**48)}])


def downgrade() -> None:
    op.execute(sa.text(f"DELETE FROM board_revision WHERE id = {SHOWN_ROW}"))
