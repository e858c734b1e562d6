"""The audit trail of people's decisions: attempts granted, submissions cancelled, final
choices

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # 64-bit ids, as in 0001


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", ID, primary_key=True),
        sa.Column("competition_id", ID, sa.ForeignKey("competitions.id"), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("team_id", ID, sa.ForeignKey("teams.id"), nullable=True),
        sa.Column("stage", sa.String(100), nullable=True),
        sa.Column("submission_id", ID, nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(300), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_audit_events_competition_id", "audit_events", ["competition_id"])
    op.create_index("ix_audit_events_team_id", "audit_events", ["team_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_team_id", "audit_events")
    op.drop_index("ix_audit_events_competition_id", "audit_events")
    op.drop_table("audit_events")
