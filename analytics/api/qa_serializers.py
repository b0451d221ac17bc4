"""Shapes of the Q&A API (`/api/v1/ai/qa/`)."""

from rest_framework import serializers

from ai.vectors.sources import is_vector_source

MODES = ("generative", "extractive", "metrics", "sql")


class QAContextSerializer(serializers.Serializer):
    tables = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=10, help_text="Default: every table"
    )
    repository = serializers.IntegerField(required=False, min_value=1, help_text="A repository id of your tenant")
    window = serializers.CharField(required=False, max_length=10, help_text="90d, 12w, 24m or all (UTC)")

    def validate_tables(self, value: list[str]) -> list[str]:
        unknown = [name for name in value if not is_vector_source(name)]
        if unknown:
            raise serializers.ValidationError(f"Not searchable tables: {', '.join(unknown)}.")
        return value


class QAAskSerializer(serializers.Serializer):
    question = serializers.CharField(max_length=1000, trim_whitespace=True)
    context = QAContextSerializer(required=False, default=dict)


class CitationSerializer(serializers.Serializer):
    n = serializers.IntegerField()
    table = serializers.CharField()
    record_id = serializers.IntegerField(allow_null=True)
    title = serializers.CharField()
    url = serializers.CharField()
    snippet = serializers.CharField(allow_blank=True)
    score = serializers.FloatField(help_text="Retrieval strength, 0..1")


class UsageSerializer(serializers.Serializer):
    tokens = serializers.IntegerField()
    cost = serializers.CharField(allow_null=True, help_text="USD; null when the model's price is unknown")


class RouteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=("metrics", "sql", "search"))
    reason = serializers.CharField()


class SQLTableSerializer(serializers.Serializer):
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.ListField(child=serializers.JSONField()))
    row_count = serializers.IntegerField()
    truncated = serializers.BooleanField()
    chart = serializers.ChoiceField(choices=("line", "bar", "table"))
    route = serializers.CharField(help_text="pair or generated")


class QAAnswerSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="For feedback")
    question = serializers.CharField()
    answer = serializers.CharField()
    found = serializers.BooleanField(help_text="False: the data does not answer the question")
    unsure = serializers.BooleanField(help_text="Confidence below the tenant's threshold: read the sources first")
    citations = CitationSerializer(many=True)
    confidence = serializers.FloatField(help_text="From retrieval strength and citation coverage, 0..1")
    data_sources = serializers.ListField(child=serializers.CharField())
    follow_up_questions = serializers.ListField(child=serializers.CharField())
    mode = serializers.ChoiceField(choices=MODES)
    route = RouteSerializer()
    notes = serializers.ListField(child=serializers.CharField())
    cached = serializers.BooleanField()
    cached_from = serializers.CharField(allow_null=True, help_text="The question a cached answer was written for")
    usage = UsageSerializer()
    latency_ms = serializers.IntegerField()
    sql = serializers.CharField(required=False, help_text="mode sql: the query whose rows are the evidence")
    table = SQLTableSerializer(required=False, help_text="mode sql: the rows and how they were found")


class QAFeedbackSerializer(serializers.Serializer):
    helpful = serializers.BooleanField()


class QAHistorySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    question = serializers.CharField()
    answer = serializers.CharField(source="response.answer")
    mode = serializers.CharField()
    cached = serializers.BooleanField()
    latency_ms = serializers.IntegerField()
    helpful = serializers.BooleanField(allow_null=True)
    created_at = serializers.DateTimeField()
