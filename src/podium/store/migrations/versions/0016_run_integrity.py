"""The canary test per run (organizers only), and the baseline's canary lean per calibration

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs", recreate="never") as batch:
        batch.add_column(sa.Column("integrity", sa.JSON(), nullable=True))
    with op.batch_alter_table("calibrations", recreate="never") as batch:
        batch.add_column(sa.Column("integrity", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calibrations", recreate="never") as batch:
        batch.drop_column("integrity")
    with op.batch_alter_table("runs", recreate="never") as batch:
        batch.drop_column("integrity")
