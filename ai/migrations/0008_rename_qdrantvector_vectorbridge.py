# The bridge model serves both stores; the table keeps its design-notes name `qdrant_vectors`.
# Renaming the model changes no table, column or row.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("ai", "0007_search_documents")]

    operations = [
        migrations.RenameModel(old_name="QdrantVector", new_name="VectorBridge"),
    ]
