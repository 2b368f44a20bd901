"""spots of compounds, compound short names, the spot a ticket is about

Revision ID: 0007
Revises: 0003
Create Date: 2026-12-02 00:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "spot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("compound_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["compound_id"], ["compound.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("compound_id", "name"),
    )
    op.create_index("ix_spot_compound_id", "spot", ["compound_id"], unique=False)
    op.add_column("compound", sa.Column("aliases", sa.JSON(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a nullable column with its REFERENCES clause in place; batch mode would
        # copy the ticket table, which reports and events reference (foreign keys are on).
        op.execute("ALTER TABLE ticket ADD COLUMN spot_id INTEGER REFERENCES spot (id)")
    else:
        op.add_column("ticket", sa.Column("spot_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_ticket_spot_id_spot", "ticket", "spot", ["spot_id"], ["id"])
    op.create_index("ix_ticket_spot_id", "ticket", ["spot_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_ticket_spot_id", table_name="ticket")
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("spot_id")
    with op.batch_alter_table("compound") as batch:
        batch.drop_column("aliases")
    op.drop_index("ix_spot_compound_id", table_name="spot")
    op.drop_table("spot")
