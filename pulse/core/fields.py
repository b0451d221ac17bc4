"""Model fields for values that must never be stored in plaintext."""

from django.db import models

from pulse.core import crypto


class EncryptedJSONField(models.TextField):
    """A dict of secrets stored as one Fernet token.

    The database holds only ciphertext; Python code sees the decrypted dict. The column is not
    queryable by content, by design.
    """

    description = "Encrypted JSON object"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return {}
        return crypto.decrypt_json(value)

    def to_python(self, value):
        if isinstance(value, dict):
            return value
        if value in (None, ""):
            return {}
        return crypto.decrypt_json(value)

    def get_prep_value(self, value):
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise TypeError("EncryptedJSONField stores a dict of secrets.")
        return crypto.encrypt_json(value)

    def value_to_string(self, obj):
        # Serializers (dumpdata) get the ciphertext, never the secret.
        return self.get_prep_value(self.value_from_object(obj))
