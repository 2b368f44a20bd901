"""deliberation: owners' rolls, topics, rolls, votes, comments, meetings, tasks, evaluations

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_text = sqlmodel.sql.sqltypes.AutoString


def _utc(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _index(table: str, *columns: str, unique: bool = False) -> None:
    for column in columns:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=unique)


def upgrade() -> None:
    op.create_table(
        "household",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("label", _text(), nullable=False),
        sa.Column("area", sa.Numeric(12, 2), nullable=True),
        sa.ForeignKeyConstraint(["building_id"], ["building.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("building_id", "label"),
    )
    _index("household", "building_id")
    op.create_table(
        "owner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("name", _text(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    _index("owner", "household_id", "telegram_id")
    op.create_table(
        "topic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", _text(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("title", _text(), nullable=False),
        sa.Column("text", _text(), nullable=False),
        sa.Column("proposer_id", sa.Integer(), nullable=False),
        sa.Column("state", _text(), nullable=False),
        sa.Column("scope_kind", _text(), nullable=False),
        sa.Column("scope_id", sa.Integer(), nullable=False),
        sa.Column("scope_detail", sa.JSON(), nullable=True),
        sa.Column("rule", _text(), nullable=False),
        sa.Column("quorum", _text(), nullable=False),
        sa.Column("share", _text(), nullable=False),
        sa.Column("by_household", sa.Boolean(), nullable=False),
        sa.Column("secret", sa.Boolean(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=True),
        sa.Column("parties", sa.JSON(), nullable=True),
        sa.Column("source_tickets", sa.JSON(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("announce_days", sa.Integer(), nullable=False),
        sa.Column("vote_days", sa.Integer(), nullable=False),
        sa.Column("announcement", _text(), nullable=False),
        sa.Column("attachment", _text(), nullable=True),
        _utc("vote_opens_at"),
        _utc("vote_closes_at"),
        sa.Column("close_reminded", sa.Boolean(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("outcome", _text(), nullable=False),
        _utc("created_at", nullable=False),
        _utc("closed_at"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"]),
        sa.ForeignKeyConstraint(["merged_into_id"], ["topic.id"]),
        sa.ForeignKeyConstraint(["proposer_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    _index("topic", "community_id", "proposer_id", "state")
    _index("topic", "number", unique=True)
    op.create_table(
        "topicevent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        _utc("at", nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", _text(), nullable=False),
        sa.Column("from_state", _text(), nullable=True),
        sa.Column("to_state", _text(), nullable=False),
        sa.Column("note", _text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["actor_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["topic_id"], ["topic.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    _index("topicevent", "topic_id")
    op.create_table(
        "elector",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("area", sa.Numeric(12, 2), nullable=True),
        _utc("removed_at"),
        sa.Column("removed_note", _text(), nullable=False),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["topic_id"], ["topic.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    _index("elector", "topic_id", "person_id", "household_id")
    op.create_table(
        "participation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("elector_id", sa.Integer(), nullable=False),
        sa.Column("voter_id", sa.Integer(), nullable=True),
        sa.Column("choice", _text(), nullable=True),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.Column("offline", sa.Boolean(), nullable=False),
        sa.Column("evidence", _text(), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        _utc("at", nullable=False),
        sa.ForeignKeyConstraint(["elector_id"], ["elector.id"]),
        sa.ForeignKeyConstraint(["entered_by_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["topic_id"], ["topic.id"]),
        sa.ForeignKeyConstraint(["voter_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("topic_id", "elector_id"),
    )
    _index("participation", "topic_id", "elector_id")
    op.create_table(
        "secretreceipt",
        sa.Column("receipt", _text(length=64), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("choice", _text(), nullable=False),
        sa.ForeignKeyConstraint(["topic_id"], ["topic.id"]),
        sa.PrimaryKeyConstraint("receipt"),
        sqlite_with_rowid=False,  # rows in key order, not in the order of voting
    )
    _index("secretreceipt", "topic_id")
    op.create_table(
        "secrettotal",
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("choice", _text(), nullable=False),
        sa.Column("heads", sa.Integer(), nullable=False),
        sa.Column("area", sa.Numeric(12, 2), nullable=False),
        sa.ForeignKeyConstraint(["topic_id"], ["topic.id"]),
        sa.PrimaryKeyConstraint("topic_id", "choice"),
    )
    op.create_table(
        "topiccomment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("text", _text(), nullable=False),
        _utc("at", nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["topic_id"], ["topic.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    _index("topiccomment", "topic_id")
    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("kind", _text(), nullable=False),
        _utc("starts_at", nullable=False),
        sa.Column("place", _text(), nullable=False),
        sa.Column("reminded", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["topic_id"], ["topic.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    _index("meeting", "topic_id")
    op.create_table(
        "topictask",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("title", _text(), nullable=False),
        sa.Column("party", _text(), nullable=False),
        _utc("due", nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("note", _text(), nullable=False),
        sa.ForeignKeyConstraint(["topic_id"], ["topic.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    _index("topictask", "topic_id")
    op.create_table(
        "evaluation",
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("rating", _text(), nullable=False),
        sa.Column("comment", _text(), nullable=False),
        _utc("at", nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["topic_id"], ["topic.id"]),
        sa.PrimaryKeyConstraint("topic_id", "person_id"),
    )


def downgrade() -> None:
    for table in (
        "evaluation",
        "topictask",
        "meeting",
        "topiccomment",
        "secrettotal",
        "secretreceipt",
        "participation",
        "elector",
        "topicevent",
        "topic",
        "owner",
        "household",
    ):
        op.drop_table(table)
