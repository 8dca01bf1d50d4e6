from __future__ import annotations

from rest_framework.pagination import PageNumberPagination


class StablePagination(PageNumberPagination):
    """Page numbers over a stable order (every list orders by a field then external_id)."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
