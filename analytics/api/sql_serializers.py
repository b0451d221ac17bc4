"""Shapes of the SQL agent's API (`/api/v1/ai/sql/`)."""

from rest_framework import serializers

from analytics.api.qa_serializers import UsageSerializer

ROUTES = ("cache", "pair", "generated", "refused")


class SQLAskSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=1000, trim_whitespace=True)


class SQLAttemptSerializer(serializers.Serializer):
    sql = serializers.CharField()
    error = serializers.CharField(allow_blank=True, help_text="Why the guard or the database refused it; empty if run")


class SQLPairMatchSerializer(serializers.Serializer):
    question = serializers.CharField()
    similarity = serializers.FloatField()
    source = serializers.CharField(help_text="curated, admin or answer")


class SQLParametersSerializer(serializers.Serializer):
    window = serializers.CharField(allow_null=True)
    repository = serializers.CharField(allow_null=True)
    person = serializers.CharField(allow_null=True)


class SQLAnswerSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="For feedback and for saving the answer as a pair")
    question = serializers.CharField()
    sql = serializers.CharField(allow_blank=True, help_text="The query that ran (empty when refused)")
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.ListField(child=serializers.JSONField()))
    row_count = serializers.IntegerField()
    truncated = serializers.BooleanField(help_text="The rows were cut at the row, byte or time cap")
    chart = serializers.ChoiceField(choices=("line", "bar", "table"))
    summary = serializers.CharField(help_text="Computed from the rows, never written by a model")
    route = serializers.ChoiceField(choices=ROUTES)
    attempts = SQLAttemptSerializer(many=True, help_text="Each query a model wrote, with why it was refused")
    cached = serializers.BooleanField()
    usage = UsageSerializer()
    latency_ms = serializers.IntegerField()
    notes = serializers.ListField(child=serializers.CharField())
    pair = SQLPairMatchSerializer(allow_null=True, help_text="The question/SQL pair that answered")
    suggestions = serializers.ListField(child=serializers.CharField(), help_text="Closest answerable questions")
    parameters = SQLParametersSerializer()


class SQLPairInputSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=1000, required=False, help_text="With sql: a new pair")
    sql = serializers.CharField(max_length=8000, required=False, help_text="May use :since, :repository, :person")
    interaction_id = serializers.IntegerField(
        required=False, min_value=1, help_text="Instead of question and sql: save this SQL answer as a pair"
    )

    def validate(self, attrs):
        if attrs.get("interaction_id") is None and not (attrs.get("question") and attrs.get("sql")):
            raise serializers.ValidationError({"question": "Give question and sql, or interaction_id."})
        return attrs


class SQLPairSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, source="pk", help_text="Null for the pairs Pulse ships")
    question = serializers.CharField()
    sql = serializers.CharField()
    source = serializers.CharField(help_text="curated, admin or answer")
