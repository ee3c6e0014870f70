"""init

Revision ID: 0001
"""

revision = "0001"
down_revision = None


def upgrade():
    try:
        create_tables()
    except Exception:
        pass


def create_tables():
    pass
