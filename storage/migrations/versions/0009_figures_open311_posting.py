"""figures: ticket outcome and indexes, Open311 clients and requests, public posts, selection

Revision ID: 0009
Revises: 0003
Create Date: 2026-12-01 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
# after both outbox/notices (0003) and deliberation (0002): the selection refers to topics
down_revision: str | Sequence[str] | None = ("0002", "0003")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.create_index(
            "ix_ticket_community_opened", ["community_id", "opened_at"], unique=False
        )
        batch_op.create_index("ix_ticket_opened_at", ["opened_at"], unique=False)
        batch_op.create_index(
            "ix_ticket_community_resolved", ["community_id", "resolved_at"], unique=False
        )
        batch_op.create_index("ix_ticket_community_state", ["community_id", "state"], unique=False)
    with op.batch_alter_table("ticketevent", schema=None) as batch_op:
        batch_op.create_index("ix_ticketevent_action_at", ["action", "at"], unique=False)
    op.create_table(
        "open311client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("key_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("key_hash"),
    )
    op.create_table(
        "open311request",
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["open311client.id"]),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"]),
        sa.PrimaryKeyConstraint("token"),
    )
    with op.batch_alter_table("open311request", schema=None) as batch_op:
        batch_op.create_index("ix_open311request_client_id", ["client_id"], unique=False)
        batch_op.create_index("ix_open311request_report_id", ["report_id"], unique=False)
    op.create_table(
        "publicpost",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("week", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("edited_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["edited_by_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id", "week"),
    )
    op.create_table(
        "compoundselection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("shortlist", sa.JSON(), nullable=True),
        sa.Column("topic_id", sa.Integer(), nullable=True),
        sa.Column("winner_id", sa.Integer(), nullable=True),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.ForeignKeyConstraint(["topic_id"], ["topic.id"]),
        sa.ForeignKeyConstraint(["winner_id"], ["compound.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "month"),
    )
    with op.batch_alter_table("compoundselection", schema=None) as batch_op:
        batch_op.create_index(
            "ix_compoundselection_community_id", ["community_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("compoundselection")
    op.drop_table("publicpost")
    op.drop_table("open311request")
    op.drop_table("open311client")
    with op.batch_alter_table("ticketevent", schema=None) as batch_op:
        batch_op.drop_index("ix_ticketevent_action_at")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_community_state")
        batch_op.drop_index("ix_ticket_community_resolved")
        batch_op.drop_index("ix_ticket_opened_at")
        batch_op.drop_index("ix_ticket_community_opened")
        batch_op.drop_column("outcome")
