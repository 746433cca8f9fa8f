"""documents.current_snapshot_id foreign key on PostgreSQL

0001 declared it with use_alter=True inside create_table, which SQLite renders inline but
PostgreSQL never creates (it waits for an ALTER that create_table does not emit). The
model/migration comparison on PostgreSQL found the gap; SQLite already has the key.

Revision ID: 0002_doc_snapshot_fk
Revises: 0001
Create Date: 2026-11-22 00:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0002_doc_snapshot_fk"
down_revision = "0001"
branch_labels = None
depends_on = None

NAME = "documents_current_snapshot_id_fkey"


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.create_foreign_key(NAME, "documents", "snapshots", ["current_snapshot_id"], ["id"])


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(NAME, "documents", type_="foreignkey")
