from dataclasses import asdict

from rest_framework import serializers

from ai.execution.rows import AI_SUBTYPES, model_info_for, provider_fields
from ai.execution.usage import RANGES
from ai.providers.catalog import CAPABILITIES
from ai.providers.local_onnx import BACKENDS as LOCAL_BACKENDS
from ai.providers.registry import PROVIDERS
from ai.vectors.search import DEFAULT_MODE, SEARCH_MODES
from ai.vectors.sources import is_vector_source
from pulse.core.api.exceptions import PayloadTooLarge
from pulse.core.api.serializers import TenantIntegrationField
from pulse.core.crypto import mask_secret


def _vectorized_tables(names: list[str]) -> list[str]:
    unknown = [name for name in names if not is_vector_source(name)]
    if unknown:
        raise serializers.ValidationError(f"Not vectorized tables: {', '.join(unknown)}.")
    return names


class ModelInfoSerializer(serializers.Serializer):
    name = serializers.CharField()
    provider = serializers.CharField()
    dimensions = serializers.IntegerField(allow_null=True)
    max_tokens = serializers.IntegerField(allow_null=True)
    input_price_per_1k = serializers.FloatField(allow_null=True, help_text="USD; null = unknown price")
    output_price_per_1k = serializers.FloatField(allow_null=True)
    capabilities = serializers.ListField(child=serializers.CharField())
    tier = serializers.CharField()


class ModelsQuerySerializer(serializers.Serializer):
    capability = serializers.ChoiceField(choices=CAPABILITIES, required=False)
    provider = serializers.ChoiceField(choices=sorted(PROVIDERS), required=False)


class ProviderInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    provider = serializers.ChoiceField(choices=sorted(PROVIDERS))
    subtype = serializers.ChoiceField(choices=AI_SUBTYPES, required=False)
    model_name = serializers.CharField(max_length=200)
    base_url = serializers.URLField(required=False, allow_blank=True)
    api_key = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        trim_whitespace=True,
        help_text="Write-only; responses show it masked.",
    )
    api_version = serializers.CharField(required=False, allow_blank=True, help_text="Azure OpenAI api-version")
    deployment = serializers.CharField(required=False, allow_blank=True, help_text="Azure OpenAI deployment name")
    model_path = serializers.CharField(required=False, allow_blank=True, help_text="Local model folder")
    local_backend = serializers.ChoiceField(
        choices=LOCAL_BACKENDS,
        required=False,
        allow_blank=True,
        help_text="Local model runtime: torch, onnx or onnx-int8; blank: the server's PULSE_LOCAL_BACKEND.",
    )
    organization = serializers.CharField(required=False, allow_blank=True)
    dimensions = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=65536)
    max_tokens = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    input_price_per_1k = serializers.FloatField(required=False, allow_null=True, min_value=0)
    output_price_per_1k = serializers.FloatField(required=False, allow_null=True, min_value=0)
    batch_size = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2048)
    timeout_seconds = serializers.FloatField(required=False, allow_null=True, min_value=1, max_value=600)
    max_retries = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=10)
    fallback_integration = TenantIntegrationField(required=False, allow_null=True)
    active = serializers.BooleanField(required=False)


class ProviderOutputSerializer(serializers.Serializer):
    """A provider row in the API's flat shape (`ai.execution.rows.provider_fields`); the key masked."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    provider = serializers.CharField()
    subtype = serializers.CharField()
    model_name = serializers.CharField()
    base_url = serializers.CharField()
    api_key = serializers.CharField(help_text="Masked; never the key.")
    api_version = serializers.CharField()
    deployment = serializers.CharField()
    model_path = serializers.CharField()
    local_backend = serializers.CharField()
    model = ModelInfoSerializer()
    batch_size = serializers.IntegerField(allow_null=True)
    timeout_seconds = serializers.FloatField(allow_null=True)
    last_test = serializers.DictField(allow_null=True)
    fallback_integration = serializers.IntegerField(allow_null=True)
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    last_updated_at = serializers.DateTimeField()

    def to_representation(self, instance):
        data = {
            **provider_fields(instance),
            "id": instance.pk,
            "api_key": mask_secret(instance.credentials.get("api_key")),
            "model": asdict(model_info_for(instance)),
            "last_test": instance.performance_config.get("last_test"),
            "created_at": instance.created_at,
            "last_updated_at": instance.last_updated_at,
        }
        return super().to_representation(data)


class ProviderTestOutputSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    latency_ms = serializers.FloatField()
    reason = serializers.CharField(allow_blank=True)
    dimensions = serializers.IntegerField(allow_null=True)
    sample = serializers.CharField(allow_blank=True)
    model = serializers.CharField(allow_blank=True)
    load_ms = serializers.FloatField(
        allow_null=True, help_text="A local model's cold load before the test call (not in latency_ms)."
    )


# What one request may ask to embed while a web worker waits; larger jobs go to the worker
# (store the records, then POST vectors/backfill/).
EMBED_MAX_TEXTS = 64
EMBED_MAX_TEXT_CHARS = 8_000
EMBED_MAX_TOTAL_CHARS = 64_000


class EmbeddingsInputSerializer(serializers.Serializer):
    texts = serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=EMBED_MAX_TEXT_CHARS),
        min_length=1,
        max_length=EMBED_MAX_TEXTS,
        help_text=f"At most {EMBED_MAX_TEXTS} texts, {EMBED_MAX_TOTAL_CHARS:,} characters in all (larger jobs: "
        "store the records and run a backfill, which the worker does).",
    )
    provider_id = TenantIntegrationField(required=False, allow_null=True, help_text="Default: the routed provider")

    def validate_texts(self, texts: list[str]) -> list[str]:
        total = sum(len(text) for text in texts)
        if total > EMBED_MAX_TOTAL_CHARS:
            raise PayloadTooLarge(
                {
                    "texts": [
                        f"{total:,} characters in all; one request embeds at most {EMBED_MAX_TOTAL_CHARS:,}. "
                        "Store larger sets as records and run a backfill (POST /api/v1/ai/vectors/backfill/)."
                    ]
                }
            )
        return texts


class EmbeddingsOutputSerializer(serializers.Serializer):
    vectors = serializers.ListField(child=serializers.ListField(child=serializers.FloatField()))
    dimensions = serializers.IntegerField()
    model = serializers.CharField()
    provider = serializers.CharField()
    provider_id = serializers.IntegerField()
    attempts = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.CharField(), help_text="Failures before the answer (fallbacks)")


class UsageQuerySerializer(serializers.Serializer):
    range = serializers.ChoiceField(choices=sorted(RANGES), default="30d")


class UsageTotalsSerializer(serializers.Serializer):
    requests = serializers.IntegerField()
    failures = serializers.IntegerField()
    input_tokens = serializers.IntegerField()
    output_tokens = serializers.IntegerField()
    total_tokens = serializers.IntegerField()
    cost = serializers.DecimalField(max_digits=18, decimal_places=8, help_text="USD, priced calls only")
    unpriced_requests = serializers.IntegerField()
    average_cost_per_request = serializers.DecimalField(max_digits=18, decimal_places=8, allow_null=True)


class UsageProviderSerializer(UsageTotalsSerializer):
    provider = serializers.CharField()


class UsageDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    requests = serializers.IntegerField()
    total_tokens = serializers.IntegerField()
    cost = serializers.DecimalField(max_digits=18, decimal_places=8)


class BudgetSerializer(serializers.Serializer):
    daily_limit = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    monthly_limit = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    spent_today = serializers.DecimalField(max_digits=18, decimal_places=8)
    spent_this_month = serializers.DecimalField(max_digits=18, decimal_places=8)
    daily_remaining = serializers.DecimalField(max_digits=18, decimal_places=8, allow_null=True)
    monthly_remaining = serializers.DecimalField(max_digits=18, decimal_places=8, allow_null=True)
    action = serializers.CharField()
    exceeded = serializers.CharField(allow_null=True)


class UsageSummarySerializer(serializers.Serializer):
    range = serializers.CharField()
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    totals = UsageTotalsSerializer()
    providers = UsageProviderSerializer(many=True)
    daily = UsageDaySerializer(many=True)
    budget = BudgetSerializer()


class KeyInfoQuerySerializer(serializers.Serializer):
    provider_id = serializers.IntegerField(required=False, min_value=1, help_text="Default: the first gateway")


class KeyInfoSerializer(serializers.Serializer):
    provider_id = serializers.IntegerField()
    spend = serializers.DecimalField(max_digits=18, decimal_places=8, allow_null=True)
    max_budget = serializers.DecimalField(max_digits=18, decimal_places=8, allow_null=True)
    key_alias = serializers.CharField(allow_blank=True)
    models = serializers.ListField(child=serializers.CharField())


class ConfigDocumentSerializer(serializers.Serializer):
    """The YAML file's structure, for the schema (the API answers it as application/yaml)."""

    version = serializers.IntegerField()
    providers = serializers.ListField(child=serializers.DictField())
    pipeline = serializers.DictField(child=serializers.CharField())
    cost_limits = serializers.DictField()


class ConfigImportSerializer(serializers.Serializer):
    yaml = serializers.CharField(help_text="The YAML document from config/export")


class ImportReportSerializer(serializers.Serializer):
    created = serializers.ListField(child=serializers.CharField())
    updated = serializers.ListField(child=serializers.CharField())
    needs_secrets = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class VectorStoreInputSerializer(serializers.Serializer):
    table_name = serializers.CharField(max_length=100)
    record_id = serializers.IntegerField(min_value=1)
    content = serializers.CharField(max_length=200_000, trim_whitespace=False)
    vector_type = serializers.CharField(max_length=50, default="content")

    def validate_table_name(self, value: str) -> str:
        if not is_vector_source(value):
            raise serializers.ValidationError(f"'{value}' is not a vectorized table.")
        return value


class VectorStoreOutputSerializer(serializers.Serializer):
    table_name = serializers.CharField()
    record_id = serializers.IntegerField()
    point_id = serializers.CharField()
    collection = serializers.CharField()
    embedding_model = serializers.CharField()
    embedding_provider = serializers.CharField()
    dimensions = serializers.IntegerField()
    unchanged = serializers.BooleanField()


class VectorSearchInputSerializer(serializers.Serializer):
    query_text = serializers.CharField(max_length=10_000)
    table_names = serializers.ListField(child=serializers.CharField(), min_length=1, max_length=10)
    limit = serializers.IntegerField(min_value=1, max_value=100, default=10)
    score_threshold = serializers.FloatField(
        min_value=-1,
        max_value=1,
        required=False,
        allow_null=True,
        help_text="Least similarity a vector hit needs (the hub uses PULSE_SEARCH_MIN_SIMILARITY); none when left out.",
    )
    filters = serializers.DictField(
        required=False,
        default=dict,
        help_text="{field: value or [values]} on vector_type and the fields the searched tables declare "
        "(unknown fields are refused); values are text, whole numbers or booleans.",
    )
    mode = serializers.ChoiceField(
        choices=SEARCH_MODES,
        default=DEFAULT_MODE,
        help_text="hybrid (default, the best measured: see bench/README.md): keywords and meaning fused, with "
        "records naming the best hits' work items lifted; vector: cosine similarity; keyword: BM25 over "
        "code-aware terms.",
    )
    exclude = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        max_length=1000,
        help_text="Record ids to leave out of the results (e.g. the record the query came from).",
    )

    def to_internal_value(self, data):
        # The design notes send one `table_name`; accept it as a one-element list.
        if hasattr(data, "get") and "table_names" not in data and data.get("table_name"):
            data = {**data, "table_names": [data["table_name"]]}
        return super().to_internal_value(data)

    def validate_table_names(self, value: list[str]) -> list[str]:
        return _vectorized_tables(value)


class VectorSearchHitSerializer(serializers.Serializer):
    table_name = serializers.CharField()
    record_id = serializers.IntegerField()
    score = serializers.FloatField()
    preview = serializers.CharField()
    fields = serializers.DictField()


class BackfillStartSerializer(serializers.Serializer):
    tables = serializers.ListField(child=serializers.CharField(), required=False, allow_empty=False)

    def validate_tables(self, value: list[str]) -> list[str]:
        return _vectorized_tables(value)


class BackfillJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    tables = serializers.ListField(child=serializers.DictField())
    total = serializers.IntegerField()
    processed = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()
    skipped = serializers.IntegerField()
    current_table = serializers.CharField()
    current_batch = serializers.IntegerField()
    provider = serializers.CharField()
    last_errors = serializers.ListField(child=serializers.CharField())
    percent = serializers.FloatField()
    eta_seconds = serializers.FloatField(allow_null=True)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class BackfillPlanSerializer(serializers.Serializer):
    table = serializers.CharField()
    total = serializers.IntegerField()
    missing = serializers.IntegerField(help_text="Records with no vector yet (changed text is found while running)")
    batch_size = serializers.IntegerField()
    priority = serializers.IntegerField()
