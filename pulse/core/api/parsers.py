"""The API's only parser: JSON, refused before parsing when it nests deeper than Pulse accepts
(Python's json module would recurse into a RecursionError, a 500)."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding
from rest_framework.utils import json

from pulse.core.jsonlimits import MAX_DEPTH, text_depth


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = get_encoding(parser_context or {})  # DRF's own check: text encodings only
        try:
            text = stream.read().decode(encoding)
            if text_depth(text) > MAX_DEPTH:
                raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.")
            return json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except ValueError as exc:  # undecodable bytes or invalid JSON
            raise ParseError(f"JSON parse error - {exc}") from None
