"""A pgvector column for the ORM's schema only: the pgvector store reads and writes it with SQL."""

from django.db import models


class VectorField(models.Field):
    """`vector` (any dimensions) on PostgreSQL; text elsewhere, where the pgvector store is unavailable."""

    description = "pgvector vector"

    def db_type(self, connection) -> str:
        return "vector" if connection.vendor == "postgresql" else "text"
