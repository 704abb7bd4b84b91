"""Pagination of listings: page numbers (with ``count``) or keyset cursors, and a stable order.

Page numbers answer ``{count, next, previous, results}``. Both the ``count``
and the ``OFFSET`` of page *n* make the database walk every matching row up
to there, so their cost grows with the number of rows a user has.

Clients that scroll send ``?cursor=`` (empty for the first page) and get
``{next, previous, results}``: the opaque cursor carries the ordering values of
the row at the page's edge, and the next page is "the rows after it" in the
requested ordering with ``id`` as tie-breaker. With an index that matches the
ordering the database seeks straight to that row, so a page costs the same on
the millionth row as on the first.

A listing view uses ``StableOrderingFilter`` and picks its paginator with
``paginator_for``; the default page-number class is the REST_FRAMEWORK setting.
"""

import base64
import binascii
import json
from datetime import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Q, QuerySet
from rest_framework.exceptions import NotFound
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

CURSOR_QUERY_PARAM = "cursor"
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def paginator_for(request, default: type[BasePagination] | None):
    """The paginator a listing request asks for: keyset when it carries ``cursor``."""
    if request is not None and CURSOR_QUERY_PARAM in request.query_params:
        return KeysetPagination()
    return default() if default is not None else None


class StableOrderingFilter(OrderingFilter):
    """The requested ordering with ``id`` as the last key (in the first key's
    direction), so rows that tie on size or name never repeat or go missing
    between pages (page numbers and cursors alike)."""

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if ordering and not any(term.lstrip("-") in ("id", "pk") for term in ordering):
            ordering.append("-id" if ordering[0].startswith("-") else "id")
        return ordering


class NumberedPagination(PageNumberPagination):
    """``{count, next, previous, results}``; ``page_size`` up to 100.

    The schema it contributes documents the cursor mode too, because one
    operation serves both: ``count`` is present only with page numbers.
    """

    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["required"] = ["next", "previous", "results"]
        response["properties"]["count"]["description"] = (
            "Number of matching results. Present with page numbers; absent with `cursor` "
            "(counting costs time proportional to the number of matching results)."
        )
        response["properties"]["next"]["description"] = "URL of the next page (with `cursor`: it carries the cursor)."
        response["properties"]["previous"]["description"] = "URL of the previous page."
        return response

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = f"Results per page (default {PAGE_SIZE}, at most {MAX_PAGE_SIZE})."
        parameters.append({
            "name": CURSOR_QUERY_PARAM,
            "required": False,
            "in": "query",
            "description": (
                "Keyset pagination for clients that scroll: send it empty for the first page, then follow "
                "`next`/`previous`, which carry an opaque cursor. The answer has no `count`; the order is "
                "the requested `ordering` with `id` as tie-breaker (a null sorts after "
                "every value). A page costs the same however many results there are. `page` is ignored. "
                "A cursor from another ordering, or a malformed one, answers 404."
            ),
            "schema": {"type": "string"},
        })
        return parameters


class KeysetPagination(BasePagination):
    """Keyset pagination: ``{next, previous, results}`` without ``count``.

    The ordering is the one ``StableOrderingFilter`` gives the request (the
    view's default otherwise), ``id`` last. A null sorts after every value (PostgreSQL's own order for
    ``processed_at``), stated explicitly so every backend agrees.
    """

    cursor_query_param = CURSOR_QUERY_PARAM
    invalid_cursor_message = "Invalid cursor."

    def paginate_queryset(self, queryset: QuerySet, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        self.ordering = self._ordering(queryset, request, view)
        position, reverse = self._decode(request.query_params.get(self.cursor_query_param, ""), queryset)

        keys = [(name, not descending if reverse else descending) for name, descending in self.ordering]
        queryset = queryset.order_by(*(self._order_expression(queryset, name, descending) for name, descending in keys))
        if position is not None:
            queryset = queryset.filter(self._after(queryset, keys, position))
        rows = list(queryset[: self.page_size + 1])
        has_more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if reverse:
            rows.reverse()
            self.has_next, self.has_previous = position is not None, has_more
        else:
            self.has_next, self.has_previous = has_more, position is not None
        self.first = self._position(rows[0]) if rows else position
        self.last = self._position(rows[-1]) if rows else position
        if not rows and position is not None:
            # An empty page past either end: each link leads back from where the client stands.
            self.has_next, self.has_previous = reverse, not reverse
        return rows

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data})

    def get_paginated_response_schema(self, schema):
        return NumberedPagination().get_paginated_response_schema(schema)

    def get_page_size(self, request) -> int:
        return NumberedPagination().get_page_size(request)

    def get_next_link(self) -> str | None:
        if not self.has_next or self.last is None:
            return None
        return self._link(self.last, reverse=False)

    def get_previous_link(self) -> str | None:
        if not self.has_previous or self.first is None:
            return None
        return self._link(self.first, reverse=True)

    # --- ordering ------------------------------------------------------------

    def _ordering(self, queryset, request, view) -> list[tuple[str, bool]]:
        """``[(field, descending), …]`` from the stable ordering, each field once, ``id`` last."""
        ordering: list[tuple[str, bool]] = []
        for term in StableOrderingFilter().get_ordering(request, queryset, view) or ("-id",):
            name = term.lstrip("-")
            name = "id" if name == "pk" else name
            if name not in (seen for seen, _ in ordering):
                ordering.append((name, term.startswith("-")))
        ordering.sort(key=lambda key: key[0] == "id")  # stable: only moves the tie-breaker last
        return ordering

    @staticmethod
    def _nullable(queryset, name: str) -> bool:
        return queryset.model._meta.get_field(name).null

    def _order_expression(self, queryset, name: str, descending: bool):
        if not self._nullable(queryset, name):
            return f"-{name}" if descending else name
        # A null is the largest value: last going up, first coming down.
        return F(name).desc(nulls_first=True) if descending else F(name).asc(nulls_last=True)

    def _after(self, queryset, keys: list[tuple[str, bool]], position: list) -> Q:
        """Rows strictly after ``position`` in the order ``keys``.

        Lexicographic: the first field after its value, or equal on it and
        after on the rest. The leading bound repeats the first field's
        condition in a form an index scan can start from.
        """
        after = Q(pk__in=[])
        equal_so_far = Q()
        for (name, descending), value in zip(keys, position, strict=True):
            nullable = self._nullable(queryset, name)
            if value is None:
                beyond = Q(**{f"{name}__isnull": False}) if descending else Q(pk__in=[])
                same = Q(**{f"{name}__isnull": True})
            else:
                beyond = Q(**{f"{name}__{'lt' if descending else 'gt'}": value})
                if nullable and not descending:
                    beyond |= Q(**{f"{name}__isnull": True})
                same = Q(**{name: value})
            after |= equal_so_far & beyond
            equal_so_far &= same
        first_name, first_descending = keys[0]
        first_value = position[0]
        if first_value is not None:
            bound = Q(**{f"{first_name}__{'lte' if first_descending else 'gte'}": first_value})
            if self._nullable(queryset, first_name) and not first_descending:
                bound |= Q(**{f"{first_name}__isnull": True})
            after = bound & after
        return after

    # --- cursors -------------------------------------------------------------

    def _position(self, row) -> list:
        return [getattr(row, "pk" if name == "id" else name) for name, _ in self.ordering]

    def _signature(self) -> str:
        return ",".join(f"{'-' if descending else ''}{name}" for name, descending in self.ordering)

    def _link(self, position: list, *, reverse: bool) -> str:
        token = encode_cursor(self._signature(), position, reverse=reverse)
        url = remove_query_param(self.request.build_absolute_uri(), "page")
        return replace_query_param(url, self.cursor_query_param, token)

    def _decode(self, token: str, queryset) -> tuple[list | None, bool]:
        """The position and direction a cursor names; (None, False) for the first page."""
        if not token:
            return None, False
        try:
            payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            if not isinstance(payload, dict) or payload.get("o") != self._signature():
                raise ValueError("cursor of another ordering")
            values = payload["p"]
            if not isinstance(values, list) or len(values) != len(self.ordering):
                raise ValueError("cursor of another shape")
            position = [
                None if value is None else queryset.model._meta.get_field(name).to_python(value)
                for (name, _), value in zip(self.ordering, values, strict=True)
            ]
            if position[-1] is None:
                raise ValueError("cursor without id")
        except (ValueError, TypeError, KeyError, binascii.Error, DjangoValidationError) as exc:
            raise NotFound(self.invalid_cursor_message) from exc
        return position, bool(payload.get("r"))


def encode_cursor(signature: str, position: list, *, reverse: bool = False) -> str:
    """The opaque cursor for the rows after (or, ``reverse``, before) ``position``.

    ``signature`` is the ordering with its tie-breaker, e.g. ``-uploaded_at,-id``.
    """
    payload = {"o": signature, "p": [_json_value(value) for value in position]}
    if reverse:
        payload["r"] = 1
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def _json_value(value):
    if isinstance(value, datetime):
        return value.isoformat()  # full microseconds: the position must be exact
    if isinstance(value, int | str | type(None)):
        return value
    return str(value)
