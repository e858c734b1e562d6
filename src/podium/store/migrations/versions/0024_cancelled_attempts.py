"""A cancelled submission gives its attempt number back: it keeps -id, the rest renumbered

Revision ID: 0024
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # data only: cancelled ones first (-id is unique), then each team's stage in id order;
    # every new number is free when it is written (it is at most the old one)
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE submissions SET attempt = -id WHERE status = 'cancelled'"))
    rows = bind.execute(
        sa.text(
            "SELECT id, team_id, stage_id, attempt FROM submissions WHERE attempt > 0 "
            "ORDER BY team_id, stage_id, id"
        )
    ).all()
    numbers: dict[tuple[int, int], int] = {}
    for sub_id, team_id, stage_id, attempt in rows:
        number = numbers[team_id, stage_id] = numbers.get((team_id, stage_id), 0) + 1
        if number != attempt:
            bind.execute(
                sa.text("UPDATE submissions SET attempt = :n WHERE id = :id"),
                {"n": number, "id": sub_id},
            )


def downgrade() -> None:
    # numbers stay as they are: the old code reads any unique attempt number
    pass
