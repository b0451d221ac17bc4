from django.db import migrations

from pulse.core.db import gin_index


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        gin_index("integrations", "model_config", "idx_integrations_model_config"),
        gin_index("integrations", "configuration", "idx_integrations_configuration"),
    ]
