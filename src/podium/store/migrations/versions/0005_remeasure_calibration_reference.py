"""Runs have a kind (evaluation or remeasure); calibrations and reference timings are stored

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 64-bit on PostgreSQL (stores there begin with it); SQLite's INTEGER is 64-bit already
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(20), nullable=False, server_default="evaluation")
        )
    op.create_table(
        "calibrations",
        sa.Column("id", ID, primary_key=True),
        sa.Column("competition_id", ID, sa.ForeignKey("competitions.id"), nullable=False),
        sa.Column("hardware", sa.String(100), nullable=False),
        sa.Column("fingerprint", sa.JSON(), nullable=False),
        sa.Column("walls", sa.JSON(), nullable=False),
        sa.Column("repeats", sa.Integer(), nullable=False),
        sa.Column("spread", sa.Float(), nullable=False),
        sa.Column("sigma", sa.Float(), nullable=False),
        sa.Column("recommended_gain", sa.Float(), nullable=False),
        sa.Column("configured_gain", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "reference_timings",
        sa.Column("id", ID, primary_key=True),
        sa.Column("competition_id", ID, sa.ForeignKey("competitions.id"), nullable=False),
        sa.Column("hardware", sa.String(100), nullable=False),
        sa.Column("fingerprint", sa.JSON(), nullable=False),
        sa.Column("wall_seconds", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("reference_timings")
    op.drop_table("calibrations")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("kind")
