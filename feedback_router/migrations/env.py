"""Alembic environment: the URL comes from our settings, the metadata from our models."""

from alembic import context

from feedback_router.db import Base, get_engine
from feedback_router.models import load_all

load_all()
url = context.config.get_main_option("sqlalchemy.url")

with get_engine(url).connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
