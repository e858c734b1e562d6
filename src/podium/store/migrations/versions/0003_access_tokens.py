"""Access tokens for the web app and API (organizer or team), stored as sha256 only

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 64-bit on PostgreSQL (stores there begin with it); SQLite's INTEGER is 64-bit already
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "access_tokens",
        sa.Column("id", ID, primary_key=True),
        sa.Column("competition_id", ID, sa.ForeignKey("competitions.id"), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("team_id", ID, sa.ForeignKey("teams.id"), nullable=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("access_tokens")
