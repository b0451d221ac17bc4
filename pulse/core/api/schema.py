"""The errors every operation can answer, added to the OpenAPI schema (drf-spectacular
post-processing), so clients and schemathesis know every status Pulse sends."""

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {}, "error": {"type": "string"}},
    "additionalProperties": True,
    "description": "`detail` (a message) for most errors; field names mapping to messages for invalid input.",
}
# Query parameters that name one of the tenant's objects: another tenant's id is a 404, like a missing one.
OBJECT_QUERY = ("repository", "source")
# Statuses particular operations answer, beyond the common ones (by path, method).
EXTRA = {
    "402": ("Refused: the tenant's AI budget is used up.", ("/ai/embeddings/", "/ai/vectors/")),
    "409": ("No provider can do this for the tenant.", ("/ai/embeddings/", "/ai/vectors/", "/ai/qa/", "/ai/sql/")),
    "502": ("The AI provider failed (every fallback included).", ("/ai/",)),
    "503": ("The task queue or a dependency is unreachable.", ("/backfill/", "/worker-ping/", "/ai/", "/sync/")),
}


def _codes(path: str, operation: dict) -> dict[str, str]:
    codes = {"400": "Invalid input.", "429": "Too many requests."}
    if operation.get("security") not in (None, [], [{}]):
        codes |= {"401": "Not signed in.", "403": "Not allowed (a member cannot change settings)."}
    names_an_object = any(
        p.get("in") == "query" and p.get("name") in OBJECT_QUERY for p in operation.get("parameters", [])
    )
    if "{" in path or names_an_object:
        codes["404"] = "No such object in your tenant."
    if "requestBody" in operation:
        codes |= {"413": "The body is too large.", "415": "Not JSON."}
    for code, (description, prefixes) in EXTRA.items():
        if any(prefix in path for prefix in prefixes):
            codes[code] = description
    return codes


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code, description in _codes(path, operation).items():
                responses.setdefault(code, {"description": description, "content": content})
    return result
