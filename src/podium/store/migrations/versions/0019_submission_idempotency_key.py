"""An upload's idempotency key, unique per team: a retried upload finds its submission

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # in place, and unique by an index (both work without copying `submissions`, which the
    # runs reference: a batch copy fails there when a store is taken back)
    with op.batch_alter_table("submissions", recreate="never") as batch:
        batch.add_column(sa.Column("idempotency_key", sa.String(64), nullable=True))
    op.create_index(
        "uq_submissions_team_key", "submissions", ["team_id", "idempotency_key"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_submissions_team_key", table_name="submissions")
    with op.batch_alter_table("submissions", recreate="never") as batch:
        batch.drop_column("idempotency_key")
