"""Pagination for the list resources (/api/artists, /api/tracks, /api/platforms, /api/loads), in the envelope."""

from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response


class ResourcePagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500

    def get_paginated_response(self, data):
        return Response(
            {
                "success": True,
                "data": data,
                "metadata": {
                    "count": self.count,
                    "limit": self.limit,
                    "offset": self.offset,
                    "next": self.get_next_link(),
                    "previous": self.get_previous_link(),
                },
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["success", "data", "metadata"],
            "properties": {
                "success": {"type": "boolean"},
                "data": schema,
                "metadata": {
                    "type": "object",
                    "properties": {
                        "count": {"type": "integer"},
                        "limit": {"type": "integer"},
                        "offset": {"type": "integer"},
                        "next": {"type": "string", "nullable": True, "format": "uri"},
                        "previous": {"type": "string", "nullable": True, "format": "uri"},
                    },
                },
            },
        }
