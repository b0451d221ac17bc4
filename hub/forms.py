"""Forms of the hub. They check shapes and turn input into the services' plain dicts; the rules
(names unique per tenant, compatible fallbacks, secrets) live in the services."""

from django import forms
from django.core.exceptions import ValidationError

from ai.execution.budgets import BUDGET_ACTIONS
from ai.execution.rows import model_info_for, provider_fields
from ai.execution.selectors import provider_list, provider_list_capable
from ai.execution.usage import RANGES
from ai.providers.local_onnx import BACKENDS as LOCAL_BACKENDS
from ai.providers.registry import PROVIDERS, provider_label
from ai.setup.agents import ANALYSIS_DEPTHS, RESPONSE_STYLES
from ai.vectors.search import DEFAULT_MODE
from ai.vectors.sources import vector_sources
from etl.services.sources import SOURCE_FIELDS, source_fields
from hub.templatetags.pulse_format import price_per_1k
from pulse.core.crypto import mask_secret
from pulse.core.models import Integration

# Which optional fields each provider type shows (the template hides the others; the server ignores them).
PROVIDER_FIELDS = {
    "sentence_transformers": ("model_path", "local_backend", "batch_size", "timeout_seconds"),
    "openai": ("api_key", "base_url", "organization", "dimensions", "batch_size", "timeout_seconds"),
    "azure_openai": ("api_key", "base_url", "deployment", "api_version", "dimensions", "batch_size", "timeout_seconds"),
    "google_gemini": ("api_key", "base_url", "dimensions", "batch_size", "timeout_seconds"),
    "anthropic_claude": ("api_key", "base_url", "timeout_seconds"),
    "custom_gateway": ("api_key", "base_url", "dimensions", "batch_size", "timeout_seconds"),
    "local_openai": ("base_url", "dimensions", "batch_size", "timeout_seconds"),
}
OPTIONAL_PROVIDER_FIELDS = sorted({f for fields in PROVIDER_FIELDS.values() for f in fields})
# Service error keys (integration columns) → form fields.
SERVICE_FIELD_NAMES = {"integration_name": "name", "integration_subtype": "subtype", "configuration": None}


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on the field it names, else above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for key, messages in error.message_dict.items():
        field = SERVICE_FIELD_NAMES.get(key, key)
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


class ProviderForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="How this provider appears in Pulse.")
    provider = forms.ChoiceField(choices=[(key, provider_label(key)) for key in sorted(PROVIDERS)])
    subtype = forms.ChoiceField(
        label="Used for",
        choices=[
            (Integration.Subtype.EMBEDDING, "Embeddings (vectors for search)"),
            (Integration.Subtype.LLM, "Text generation (agents)"),
            (Integration.Subtype.GATEWAY, "Gateway (text generation through a proxy)"),
        ],
    )
    model_name = forms.CharField(label="Model", max_length=200, help_text="Suggestions come from the model catalog.")
    api_key = forms.CharField(
        label="API key",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    base_url = forms.URLField(label="Base URL", required=False, assume_scheme="https")
    organization = forms.CharField(required=False, max_length=200)
    deployment = forms.CharField(label="Azure deployment", required=False, max_length=200)
    api_version = forms.CharField(label="Azure api-version", required=False, max_length=50)
    model_path = forms.CharField(
        label="Local model folder", required=False, help_text="Blank: the bundled all-MiniLM-L6-v2."
    )
    local_backend = forms.ChoiceField(
        label="Local runtime",
        required=False,
        choices=[("", "Server default (PULSE_LOCAL_BACKEND)"), *((b, b) for b in LOCAL_BACKENDS)],
        help_text="onnx-int8: the same model quantised, several times faster (bench/README.md).",
    )
    dimensions = forms.IntegerField(required=False, min_value=1, max_value=65536, help_text="Blank: the catalog's.")
    batch_size = forms.IntegerField(required=False, min_value=1, max_value=2048)
    timeout_seconds = forms.FloatField(label="Timeout (seconds)", required=False, min_value=1, max_value=600)
    fallback_integration = forms.ModelChoiceField(
        label="Fallback", queryset=Integration.objects.none(), required=False, empty_label="None"
    )
    active = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args, client, instance: Integration | None = None, **kwargs):
        self.client = client
        self.instance = instance
        super().__init__(*args, **kwargs)
        candidates = Integration.objects.for_client(client).filter(integration_type=Integration.Type.AI_MODEL)
        if instance is not None:
            candidates = candidates.exclude(pk=instance.pk)
            stored = mask_secret(instance.credentials.get("api_key"))
            if stored:
                self.fields["api_key"].widget.attrs["placeholder"] = f"{stored} (stored; type to replace)"
        self.fields["fallback_integration"].queryset = candidates.order_by("integration_name")
        self.fallback_dimensions = {c.pk: model_info_for(c).dimensions for c in candidates}
        self.fields["fallback_integration"].label_from_instance = self._fallback_label

    def _fallback_label(self, integration: Integration) -> str:
        info = model_info_for(integration)
        size = f", {info.dimensions} dims" if info.dimensions else ""
        return f"{integration.integration_name} ({info.name}{size})"

    def service_data(self) -> dict:
        """The ai services' provider input. Fields the chosen type does not use are left out, and a
        blank API key on edit keeps the stored one."""
        data = self.cleaned_data
        shown = PROVIDER_FIELDS.get(data["provider"], ())
        out = {
            "name": data["name"],
            "provider": data["provider"],
            "subtype": data["subtype"],
            "model_name": data["model_name"],
            "fallback_integration": data.get("fallback_integration"),
            "active": data.get("active", False),
        }
        for field in OPTIONAL_PROVIDER_FIELDS:
            if field == "api_key":
                if field in shown and data.get(field):
                    out[field] = data[field]
                continue
            out[field] = data.get(field) if field in shown else None
        return out

    @classmethod
    def initial_for(cls, instance: Integration) -> dict:
        fields = provider_fields(instance)
        return {name: fields[name] for name in cls.base_fields if name in fields}


class EmbeddingChoiceForm(forms.Form):
    integration = forms.ModelChoiceField(label="Embedding provider", queryset=Integration.objects.none())

    def __init__(self, *args, client, **kwargs):
        super().__init__(*args, **kwargs)
        capable = provider_list_capable(client=client, capability="embedding", active_only=True)
        self.fields["integration"].queryset = provider_list(client=client).filter(pk__in=[c.pk for c in capable])
        self.fields["integration"].label_from_instance = _embedding_label


def _embedding_label(integration: Integration) -> str:
    info = model_info_for(integration)
    price = price_per_1k(info.input_price_per_1k)
    return f"{integration.integration_name} — {info.name}, {info.dimensions or '?'} dims, {price}"


class BackfillForm(forms.Form):
    tables = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tables"].choices = [(s.table_name, s.table_name.replace("_", " ")) for s in vector_sources()]


class AgentForm(forms.Form):
    primary_model = forms.ModelChoiceField(
        label="Primary model", queryset=Integration.objects.none(), required=False, empty_label="Automatic (routing)"
    )
    fallback_model = forms.ModelChoiceField(
        label="Fallback model", queryset=Integration.objects.none(), required=False, empty_label="None"
    )
    response_style = forms.ChoiceField(choices=[(s, s.capitalize()) for s in RESPONSE_STYLES])
    confidence_threshold = forms.FloatField(
        min_value=0, max_value=1, help_text="Below this, the agent says it is unsure instead of answering."
    )
    analysis_depth = forms.ChoiceField(label="Insight depth", choices=[(d, d.capitalize()) for d in ANALYSIS_DEPTHS])
    proactive_insights = forms.BooleanField(required=False)
    custom_prompts = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="One prompt per line."
    )
    auto_refresh = forms.BooleanField(required=False)
    anomaly_detection = forms.BooleanField(required=False)
    predictive_analytics = forms.BooleanField(required=False)
    narrative_generation = forms.BooleanField(required=False)

    def __init__(self, *args, client, **kwargs):
        super().__init__(*args, **kwargs)
        capable = provider_list_capable(client=client, capability="text_generation")
        for field in ("primary_model", "fallback_model"):
            self.fields[field].queryset = provider_list(client=client).filter(pk__in=[c.pk for c in capable])
            self.fields[field].label_from_instance = lambda i: (
                f"{i.integration_name} ({i.model_config.get('model_name', '')})"
            )

    def clean_custom_prompts(self) -> list[str]:
        prompts = [line.strip() for line in self.cleaned_data["custom_prompts"].splitlines() if line.strip()]
        if any(len(p) > 2000 for p in prompts):
            raise ValidationError("Each prompt can be at most 2,000 characters.")
        return prompts

    @staticmethod
    def initial_from(preferences: dict) -> dict:
        qa = preferences["agent_config"]["question_answering"]
        insights = preferences["agent_config"]["insight_generation"]
        return {
            **{key: qa[key] for key in ("primary_model", "fallback_model", "response_style", "confidence_threshold")},
            "analysis_depth": insights["analysis_depth"],
            "proactive_insights": insights["proactive_insights"],
            "custom_prompts": "\n".join(insights["custom_prompts"]),
            **preferences["dashboard_ai"],
        }

    def service_data(self) -> dict:
        d = self.cleaned_data
        return {
            "agent_config": {
                "question_answering": {
                    "primary_model": d["primary_model"].pk if d["primary_model"] else None,
                    "fallback_model": d["fallback_model"].pk if d["fallback_model"] else None,
                    "response_style": d["response_style"],
                    "confidence_threshold": d["confidence_threshold"],
                },
                "insight_generation": {
                    "analysis_depth": d["analysis_depth"],
                    "proactive_insights": d["proactive_insights"],
                    "custom_prompts": d["custom_prompts"],
                },
            },
            "dashboard_ai": {
                key: d[key]
                for key in ("auto_refresh", "anomaly_detection", "predictive_analytics", "narrative_generation")
            },
        }


class EmbedTestForm(forms.Form):
    text = forms.CharField(max_length=8000, widget=forms.Textarea(attrs={"rows": 3}), strip=False)

    def clean_text(self) -> str:
        if not self.cleaned_data["text"].strip():
            raise ValidationError("Type some text to embed.")
        return self.cleaned_data["text"]


class SearchInput(forms.TextInput):
    input_type = "search"


class SearchForm(forms.Form):
    q = forms.CharField(label="Search", max_length=2000, widget=SearchInput)
    tables = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    limit = forms.IntegerField(required=False, min_value=1, max_value=50, initial=10)
    mode = forms.ChoiceField(
        required=False,
        choices=[
            ("hybrid", "Hybrid: meaning and keywords"),
            ("vector", "Meaning (vectors)"),
            ("keyword", "Keywords (BM25 over code-aware terms)"),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tables"].choices = [(s.table_name, s.table_name.replace("_", " ")) for s in vector_sources()]
        self.fields["mode"].initial = DEFAULT_MODE

    def clean_mode(self) -> str:
        return self.cleaned_data["mode"] or self.fields["mode"].initial


class RangeForm(forms.Form):
    range = forms.ChoiceField(choices=[(key, key) for key in RANGES], required=False)


BUDGET_ACTION_LABELS = {"block": "Block paid calls", "fallback_local": "Fall back to a local model"}


class BudgetForm(forms.Form):
    daily_usd = forms.DecimalField(label="Daily limit (USD)", required=False, min_value=0, decimal_places=4)
    monthly_usd = forms.DecimalField(label="Monthly limit (USD)", required=False, min_value=0, decimal_places=4)
    action = forms.ChoiceField(
        label="When a limit is reached", choices=[(action, BUDGET_ACTION_LABELS[action]) for action in BUDGET_ACTIONS]
    )


# Per source type: labels and help a new user needs (where a token comes from, the URL's shape) and
# the fields it cannot work without (marked in the form; the service checks them all the same).
SOURCE_HELP = {
    "jira": {
        "base_url": ("Jira site URL", "Jira Cloud: https://your-site.atlassian.net; Jira Server: its base URL."),
        "email": ("Account email", "The Atlassian account the API token belongs to."),
        "api_token": (
            "API token",
            "Create one at id.atlassian.com → Security → Create and manage API tokens "
            "(https://id.atlassian.com/manage-profile/security/api-tokens).",
        ),
        "project_keys": ("Project keys", "Comma-separated, e.g. GROOVY. Blank: the JQL below, or every project."),
    },
    "github": {
        "base_url": ("API URL (GitHub Enterprise only)", "Blank for github.com; Enterprise: https://HOST/api/v3."),
        "token": (
            "Access token",
            "A fine-grained personal access token with read-only Contents, Metadata and Pull requests: "
            "github.com → Settings → Developer settings → Personal access tokens "
            "(https://github.com/settings/personal-access-tokens).",
        ),
        "repositories": ("Repositories", "owner/name, one per line, e.g. apache/groovy."),
    },
}
SOURCE_REQUIRED = {"jira": ("base_url", "email", "api_token"), "github": ("token", "repositories"), "git": ("path",)}
SOURCE_SECRETS = ("api_token", "token")


class SourceForm(forms.Form):
    """One form for the three source types; the template shows the fields of the chosen type."""

    name = forms.CharField(max_length=100)
    base_url = forms.URLField(label="Site / API URL", required=False, assume_scheme="https")
    email = forms.EmailField(label="Account email", required=False)
    api_token = forms.CharField(
        label="API token", required=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    token = forms.CharField(
        label="Access token", required=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    project_keys = forms.CharField(label="Project keys", required=False, help_text="Comma-separated, e.g. GROOVY")
    jql = forms.CharField(label="JQL (optional)", required=False, max_length=2000)
    story_points_field = forms.CharField(required=False, max_length=100, help_text="e.g. customfield_10016")
    repositories = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="owner/name, one per line"
    )
    path = forms.CharField(label="Clone folder", required=False, help_text="A folder on the Pulse server")
    branch = forms.CharField(required=False, max_length=200, help_text="Blank: HEAD")
    repository = forms.CharField(
        label="Repository name", required=False, max_length=255, help_text="Blank: folder name"
    )
    active = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args, kind: str, instance: Integration | None = None, **kwargs):
        self.kind = kind
        super().__init__(*args, **kwargs)
        for secret in ("api_token", "token"):
            stored = instance and mask_secret(instance.credentials.get(secret))
            if stored:
                self.fields[secret].widget.attrs["placeholder"] = f"{stored} (stored; type to replace)"
        self.visible_names = ("name", *SOURCE_FIELDS[kind], "active")
        for name, (label, help_text) in SOURCE_HELP.get(kind, {}).items():
            self.fields[name].label, self.fields[name].help_text = label, help_text
        for name in SOURCE_REQUIRED[kind]:
            # Marked, not enforced by the form: the service's message says what to enter. A stored
            # secret is kept when its field is left blank on edit.
            self.fields[name].marked_required = not (instance is not None and name in SOURCE_SECRETS)

    def visible_fields_for_kind(self):
        return [self[name] for name in self.visible_names]

    def service_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.visible_names}

    @staticmethod
    def initial_for(instance: Integration) -> dict:
        fields = source_fields(instance)
        fields["project_keys"] = ", ".join(fields["project_keys"])
        fields["repositories"] = "\n".join(fields["repositories"])
        return fields


class WebhookForm(forms.Form):
    alert_webhook_url = forms.URLField(
        label="Webhook URL",
        required=False,
        assume_scheme="https",
        help_text="Each new alert is POSTed here as JSON (id, kind, title, detail, opened_at). Blank: none.",
    )


class ScheduleForm(forms.Form):
    kind = forms.ChoiceField(
        label="Sync",
        choices=[
            ("none", "Only when asked (Sync now)"),
            ("interval", "Every N minutes"),
            ("cron", "On a cron schedule (UTC)"),
        ],
    )
    every_minutes = forms.IntegerField(label="Every (minutes)", required=False, min_value=5, max_value=10080)
    cron = forms.CharField(
        label="Cron expression",
        required=False,
        max_length=200,
        help_text="minute hour day month weekday, e.g. 0 */6 * * *",
    )
