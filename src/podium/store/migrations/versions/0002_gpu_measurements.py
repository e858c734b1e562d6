"""GPU energy and peak GPU memory per measurement (NVML, where present)

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("measurements") as batch:
        batch.add_column(sa.Column("gpu_energy_joules", sa.Float(), nullable=True))
        # 64-bit on PostgreSQL (stores there begin at this release); SQLite's are unchanged
        bytes_type = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
        batch.add_column(sa.Column("gpu_peak_memory_bytes", bytes_type, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("measurements") as batch:
        batch.drop_column("gpu_peak_memory_bytes")
        batch.drop_column("gpu_energy_joules")
