"""Platform faults counted per submission; the mechanism that enforced each limit per run

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(
            sa.Column("platform_failures", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("enforcement", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("enforcement")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("platform_failures")
