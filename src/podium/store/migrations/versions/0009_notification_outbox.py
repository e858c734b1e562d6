"""The outbox of news sent to Apprise URLs ([notify])

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # 64-bit ids, as in 0001


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", ID, primary_key=True),
        sa.Column("competition_id", ID, sa.ForeignKey("competitions.id"), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("team", sa.String(200), nullable=True),
        sa.Column("stage", sa.String(100), nullable=True),
        sa.Column("destination", sa.Text(), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_index("ix_outbox_competition_id", "outbox", ["competition_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_competition_id", table_name="outbox")
    op.drop_table("outbox")
