"""Training jobs: a team's command on the public data, metered and billed against a budget

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # 64-bit ids, as in 0001


def upgrade() -> None:
    op.create_table(
        "training_jobs",
        sa.Column("id", ID, primary_key=True),
        sa.Column("team_id", ID, sa.ForeignKey("teams.id"), nullable=False),
        sa.Column("hardware", sa.String(100), nullable=False),
        sa.Column("command", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("archive_path", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("message", sa.Text()),
        sa.Column("member", sa.String(200)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("dispatched_at", sa.DateTime(timezone=True)),
        sa.Column("cpu_seconds", sa.Float()),
        sa.Column("gpu_seconds", sa.Float()),
        sa.Column("energy_joules", sa.Float()),
        sa.Column("wall_seconds", sa.Float()),
        sa.Column("artifact_bytes", sa.BigInteger().with_variant(sa.Integer(), "sqlite")),
        sa.Column("worker_id", ID, sa.ForeignKey("workers.id")),
        sa.Column("lease", sa.String(64)),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_training_jobs_team", "training_jobs", ["team_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_training_jobs_team", "training_jobs")
    op.drop_table("training_jobs")
