"""The database schema's Alembic migrations, shipped with the code so an installed wheel can migrate."""
