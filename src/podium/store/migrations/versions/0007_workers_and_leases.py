"""Workers, run leases, dispatch times and late reports (evaluation on many machines)

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # 64-bit ids, as in 0001


def upgrade() -> None:
    op.create_table(
        "workers",
        sa.Column("id", ID, primary_key=True),
        sa.Column("competition_id", ID, sa.ForeignKey("competitions.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("token_id", ID, sa.ForeignKey("access_tokens.id"), nullable=False),
        sa.Column("hardware", sa.String(100), nullable=False),
        sa.Column("fingerprint", sa.JSON(), nullable=False),
        sa.Column("alike", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_heartbeat", sa.DateTime(timezone=True), nullable=False),
        sa.Column("current_run_id", ID, nullable=True),
        sa.Column("runs_done", sa.Integer(), nullable=False, server_default="0"),
        sa.UniqueConstraint("competition_id", "name"),
    )
    op.create_table(
        "late_reports",
        sa.Column("id", ID, primary_key=True),
        sa.Column("run_id", ID, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("worker_id", ID, sa.ForeignKey("workers.id"), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("worker_id", ID, nullable=True))
        batch.add_column(sa.Column("lease", sa.String(64), nullable=True))
        batch.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key("fk_runs_worker_id", "workers", ["worker_id"], ["id"])
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("dispatched_at")
    with op.batch_alter_table("runs") as batch:
        batch.drop_constraint("fk_runs_worker_id", type_="foreignkey")
        batch.drop_column("lease_expires_at")
        batch.drop_column("lease")
        batch.drop_column("worker_id")
    op.drop_table("late_reports")
    op.drop_table("workers")
