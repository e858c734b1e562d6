"""Flags for organizers and their decisions: submission_flags, code_prints, reviews, and
submissions.review

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # 64-bit ids, as in 0001


def upgrade() -> None:
    with op.batch_alter_table("submissions", recreate="never") as batch:
        batch.add_column(sa.Column("review", sa.String(20), nullable=True))
    op.create_table(
        "submission_flags",
        sa.Column("id", ID, primary_key=True),
        sa.Column("submission_id", ID, sa.ForeignKey("submissions.id"), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_submission_flags_submission_id", "submission_flags", ["submission_id"])
    op.create_table(
        "code_prints",
        sa.Column("id", ID, primary_key=True),
        sa.Column("submission_id", ID, sa.ForeignKey("submissions.id"), nullable=False),
        sa.Column("path", sa.String(300), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_code_prints_submission_id", "code_prints", ["submission_id"])
    op.create_index("ix_code_prints_value", "code_prints", ["value"])
    op.create_table(
        "reviews",
        sa.Column("id", ID, primary_key=True),
        sa.Column("submission_id", ID, sa.ForeignKey("submissions.id"), nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_reviews_submission_id", "reviews", ["submission_id"])


def downgrade() -> None:
    op.drop_table("reviews")
    op.drop_table("code_prints")
    op.drop_table("submission_flags")
    # in place (SQLite >= 3.35 drops a column): a batch copy of `submissions` would fail on
    # the runs that reference it
    with op.batch_alter_table("submissions", recreate="never") as batch:
        batch.drop_column("review")
