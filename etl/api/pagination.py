"""Cursor pagination for the record lists: stable under inserts (newest id first), and a cursor
that is not one of ours is a 400 naming `cursor`, not DRF's 404."""

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination


class RecordCursorPagination(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({"cursor": "Not a cursor from this list: follow the `next` link."}) from None
