from django.db import migrations

from pulse.core.db import gin_index


class Migration(migrations.Migration):
    dependencies = [("ai", "0002_initial")]

    operations = [
        gin_index("client_ai_preferences", "configuration", "idx_client_ai_preferences_config"),
        gin_index("client_ai_configuration", "configuration", "idx_client_ai_config_config"),
        gin_index("ai_usage_tracking", "request_metadata", "idx_ai_usage_tracking_metadata"),
    ]
