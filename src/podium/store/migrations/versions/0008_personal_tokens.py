"""Personal tokens: a token may belong to one member of a team, and a submission records the
member who sent it (null for team-wide tokens and older rows)

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # 64-bit ids, as in 0001


def upgrade() -> None:
    with op.batch_alter_table("access_tokens") as batch:
        batch.add_column(sa.Column("member_id", ID, nullable=True))
        batch.create_foreign_key("fk_access_tokens_member_id", "members", ["member_id"], ["id"])
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("member", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("member")
    with op.batch_alter_table("access_tokens") as batch:
        batch.drop_constraint("fk_access_tokens_member_id", type_="foreignkey")
        batch.drop_column("member_id")
