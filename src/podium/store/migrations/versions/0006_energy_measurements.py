"""CPU (RAPL) energy, idle power and a note on missing counters per measurement

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("measurements") as batch:
        batch.add_column(sa.Column("cpu_energy_joules", sa.Float(), nullable=True))
        batch.add_column(sa.Column("idle_cpu_watts", sa.Float(), nullable=True))
        batch.add_column(sa.Column("idle_gpu_watts", sa.Float(), nullable=True))
        batch.add_column(sa.Column("energy_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("measurements") as batch:
        batch.drop_column("energy_note")
        batch.drop_column("idle_gpu_watts")
        batch.drop_column("idle_cpu_watts")
        batch.drop_column("cpu_energy_joules")
