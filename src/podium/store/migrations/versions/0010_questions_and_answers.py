"""Questions and answers: the competition's board

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # 64-bit ids, as in 0001


def upgrade() -> None:
    op.create_table(
        "questions",
        sa.Column("id", ID, primary_key=True),
        sa.Column("competition_id", ID, sa.ForeignKey("competitions.id"), nullable=False),
        sa.Column("token_id", ID, sa.ForeignKey("access_tokens.id"), nullable=False),
        sa.Column("team_id", ID, sa.ForeignKey("teams.id"), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_questions_competition_id", "questions", ["competition_id"])
    op.create_table(
        "answers",
        sa.Column("id", ID, primary_key=True),
        sa.Column("question_id", ID, sa.ForeignKey("questions.id"), nullable=False),
        sa.Column("token_id", ID, sa.ForeignKey("access_tokens.id"), nullable=False),
        sa.Column("team_id", ID, sa.ForeignKey("teams.id"), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_answers_question_id", "answers", ["question_id"])


def downgrade() -> None:
    op.drop_index("ix_answers_question_id", "answers")
    op.drop_table("answers")
    op.drop_index("ix_questions_competition_id", "questions")
    op.drop_table("questions")
