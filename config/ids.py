"""Integer ids and parameters, checked once before they reach a query.

Python's int() and Django's `<int:…>` path converter accept any size, but a database key is a signed
64-bit integer: a larger number makes SQLite raise OverflowError and PostgreSQL refuse the query, a
server error (500) instead of an answer. Every id in a URL goes through the `<id:…>` converter (a page
answers 404), and every integer the API reads from a query string or a path goes through `int_param`
(400 with code `invalid_parameter` naming the parameter).
"""

import uuid

from django.urls import register_converter
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination

from accounts.errors import DomainError

MAX_ID = 2**63 - 1  # BigAutoField on PostgreSQL (bigint) and SQLite (INTEGER)
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def parse_int(value, *, minimum=1, maximum=MAX_ID):
    """The integer written in `value` (ASCII digits, optional sign), or None when it is not one in range."""
    text = str(value).strip()
    digits = text[1:] if text[:1] in "+-" else text
    # isascii: int() also reads other scripts' digits ("١٢"), which no client means as an id.
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 19:
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


class InvalidParameter(DomainError):
    def __init__(self, name, minimum=1, maximum=MAX_ID):
        super().__init__(
            "invalid_parameter",
            _("The parameter “%(name)s” must be a whole number from %(min)s to %(max)s.")
            % {"name": name, "min": minimum, "max": maximum},
            parameter=name,
        )


def int_param(value, name, *, minimum=1, maximum=MAX_ID):
    """An integer parameter of an API request, or 400 `invalid_parameter` naming it."""
    number = parse_int(value, minimum=minimum, maximum=maximum)
    if number is None:
        raise InvalidParameter(name, minimum, maximum)
    return number


def uuid_param(value, name):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise DomainError("invalid_parameter", _("The parameter “%(name)s” must be a UUID.") % {"name": name},
                          parameter=name) from None


class IdConverter:
    """`<id:pk>`: a database id, 1 … 2^63-1; anything else does not match (404)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value):
        number = parse_int(value)
        if number is None:
            raise ValueError(value)  # the URL resolver treats ValueError as "no match"
        return number

    def to_url(self, value):
        return str(value)


register_converter(IdConverter, "id")


# --- The API ----------------------------------------------------------------------------------------

class IdField(serializers.IntegerField):
    """An id in a request body: refused (400) outside the database's range, before any query."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)


class IdLookupMixin:
    """For viewsets: the path id (`pk`) is checked after authentication and permissions, before the
    view runs, so a handler and the actions it calls only ever see an int (or a UUID)."""

    lookup_type = int  # or uuid.UUID
    # Any one path segment reaches the view, to be refused there with a code (the router's default,
    # [^/.]+, would leave "1.5" to Django's HTML 404 page).
    lookup_value_regex = "[^/]+"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        key = self.lookup_url_kwarg or self.lookup_field
        if key in self.kwargs:
            # self.kwargs is the very dict APIView.dispatch passes on to the handler.
            value = self.kwargs[key]
            self.kwargs[key] = uuid_param(value, "id") if self.lookup_type is uuid.UUID else int_param(value, "id")


class Pagination(PageNumberPagination):
    """`?page=` is a whole number from 1 (400 `invalid_parameter` otherwise); past the last page is 404."""

    last_page_strings = ()

    def get_page_number(self, request, paginator):
        value = request.query_params.get(self.page_query_param)
        return 1 if value in (None, "") else int_param(value, self.page_query_param)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = dict(ID_SCHEMA)
        return parameters
