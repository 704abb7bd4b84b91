"""Statements the hot paths run on every request or task, built from the ORM's own parts.

A ``QuerySet`` call costs far more CPU than the statement it sends: cloning,
compiling and the per-query machinery come to 0.3–0.5 ms for a one-row SELECT
or UPDATE, against ~0.1 ms for running the statement itself (bench/README.md,
issue 19). The upload request and the processing task run a handful of these
each time, so the few that run on every one go through here: the SQL is the
ORM's (its compiler for an UPDATE, the model's fields, quoting, value
preparation and converters for the rest), only assembled and run directly.
What these return is what the ORM would return: model instances built by
``Model.from_db`` with every field's converters applied.

``update_returning`` also does in one statement what the ORM needs two for
(an UPDATE, then a SELECT of the row): ``UPDATE … RETURNING``, which
PostgreSQL and SQLite (3.35 and later) both run.

``UpdateTemplate`` goes one step further for the UPDATEs that run on every
task: the ORM compiles them once per shape, and each call only fills in its
values (compiling costs 0.1–0.25 ms of CPU per statement, the filling ~5 µs).
"""

import itertools
import uuid
from collections.abc import Callable, Hashable
from datetime import UTC, datetime

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.db.models.sql import UpdateQuery


def _converters(model: type[Model], connection) -> list[tuple]:
    """(column expression, converters) of each concrete field, as the compiler would apply them."""
    cache = connection.__dict__.setdefault("_lean_converters", {})
    found = cache.get(model)
    if found is None:
        found = []
        for field in model._meta.concrete_fields:
            column = field.get_col(model._meta.db_table)
            found.append((column, [*connection.ops.get_db_converters(column),
                                   *column.get_db_converters(connection)]))
        cache[model] = found
    return found


def columns_sql(model: type[Model], connection) -> str:
    """The model's concrete columns, quoted, in field order (what ``instance_from_row`` expects)."""
    cache = connection.__dict__.setdefault("_lean_columns", {})
    found = cache.get(model)
    if found is None:
        quote = connection.ops.quote_name
        found = cache[model] = ", ".join(quote(field.column) for field in model._meta.concrete_fields)
    return found


def instance_from_row(model: type[Model], row, connection) -> Model:
    """A model instance from a row of ``columns_sql(model)``, as the ORM builds one."""
    values = []
    for value, (column, converters) in zip(row, _converters(model, connection), strict=True):
        for convert in converters:
            value = convert(value, column, connection)
        values.append(value)
    return model.from_db(connection.alias, [f.attname for f in model._meta.concrete_fields], values)


def get_by_pk(model: type[Model], pk, *, using: str = DEFAULT_DB_ALIAS) -> Model | None:
    """``model.objects.filter(pk=pk).first()`` in one statement, without the QuerySet."""
    connection = connections[using]
    meta = model._meta
    quote = connection.ops.quote_name
    sql = (f"SELECT {columns_sql(model, connection)} FROM {quote(meta.db_table)} "  # noqa: S608 (names are the model's)
           f"WHERE {quote(meta.pk.column)} = %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [meta.pk.get_db_prep_value(pk, connection)])
        row = cursor.fetchone()
    return None if row is None else instance_from_row(model, row, connection)


def compile_update(queryset: QuerySet, **values) -> tuple[str, tuple]:
    """The SQL and parameters ``queryset.update(**values)`` would send (one table only)."""
    query = queryset.query.chain(UpdateQuery)
    query.add_update_values(values)
    query.annotations = {}
    compiler = query.get_compiler(queryset.db)
    compiler.pre_sql_setup()
    if query.related_updates or query.count_active_tables() != 1:
        raise ValueError("compile_update takes a filter on the model's own table only")
    return compiler.as_sql()


def update_returning(queryset: QuerySet, **values) -> list[Model]:
    """``queryset.update(**values)`` that answers the updated rows, in one statement (``UPDATE … RETURNING``)."""
    sql, params = compile_update(queryset, **values)
    return updated_rows(queryset.model, sql, params, using=queryset.db)


def updated_rows(model: type[Model], sql: str, params, *, using: str = DEFAULT_DB_ALIAS) -> list[Model]:
    """Run the UPDATE ``sql`` (of ``model``'s table) and answer the rows it changed, as instances."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {columns_sql(model, connection)}", params)
        rows = cursor.fetchall()
    return [instance_from_row(model, row, connection) for row in rows]


def insert_values(instance: Model, connection) -> tuple[list[str], list[str], list]:
    """The quoted columns, placeholders and prepared values of ``instance``'s INSERT, as ``save`` would send them.

    For an ``INSERT … SELECT`` (where PostgreSQL cannot infer a NULL's type from
    the column) a NULL is written as a cast NULL instead of a parameter.
    """
    # The backend itself: through ``django.db.connection`` every attribute is looked up anew.
    connection = connections[connection.alias]
    columns, placeholders, params = [], [], []
    for field, column, null in _insert_fields(type(instance), connection):
        value = field.get_db_prep_save(field.pre_save(instance, add=True), connection=connection)
        columns.append(column)
        if value is None:
            placeholders.append(null)
        else:
            placeholders.append("%s")
            params.append(value)
    return columns, placeholders, params


def _insert_fields(model: type[Model], connection) -> list[tuple]:
    """(field, quoted column, cast NULL) of each concrete field of ``model``, once per connection."""
    cache = connection.__dict__.setdefault("_lean_insert_fields", {})
    found = cache.get(model)
    if found is None:
        quote = connection.ops.quote_name
        found = cache[model] = [(field, quote(field.column), f"CAST(NULL AS {field.cast_db_type(connection)})")
                                for field in model._meta.concrete_fields]
    return found


# Stand-ins for a template's values while the ORM compiles it: one of a kind, never sent.
_SENTINELS: dict[type, Callable[[int], object]] = {
    str: lambda n: f"\x00value-{n}",
    int: lambda n: -(2**62) + n,
    uuid.UUID: lambda n: uuid.UUID(int=2**127 + n),
    datetime: lambda n: datetime(1901, 2, 3, 4, 5, 6, n, tzinfo=UTC),
    dict: lambda n: {"\x00value": n},
}


class UpdateTemplate:
    """``queryset.update(**values)`` compiled by the ORM once per shape; each use fills in its values.

    ``build(shape, **values)`` returns the queryset and the update's values, as a
    caller of ``compile_update`` would pass them; ``types`` names the type of each
    value that varies from call to call (str, int, UUID, datetime or dict for a
    JSON field). ``shape`` is anything hashable that changes the statement
    (which fields are set); a value of None also does (the ORM writes ``NULL``,
    not a parameter), so it is part of the shape on its own.

    The first use of a shape compiles ``build`` with stand-in values and finds
    where each one went among the parameters; the ORM's preparation must leave
    them as they are, or wrap them as JSON (true on PostgreSQL; elsewhere, such
    as SQLite's UUIDs as text, it raises: compile those each time), or type them
    for their column (psycopg's ``Int8``), done again to each value. Everything
    else among the parameters is the same on every use and kept as compiled.
    """

    def __init__(self, build: Callable[..., tuple[QuerySet, dict]], **types: type):
        self.build = build
        self.types = types
        self._compiled: dict[Hashable, tuple[str, list]] = {}

    def sql(self, shape: Hashable = None, **values) -> tuple[str, list]:
        """The statement and its parameters for ``values``, as ``compile_update`` would give them."""
        nulls = tuple(name for name in self.types if values[name] is None)
        compiled = self._compiled.get((shape, nulls))
        if compiled is None:
            compiled = self._compiled[(shape, nulls)] = self._compile(shape, nulls)
        sql, plan = compiled
        return sql, [fill(values[name]) if name is not None else fill for name, fill in plan]

    def _compile(self, shape: Hashable, nulls: tuple) -> tuple[str, list]:
        # Twice, with different stand-ins: a parameter that is not a stand-in must come out the same
        # both times, or it was derived from a value (and would be frozen into the template).
        first, second = self._plan(shape, nulls, 1), self._plan(shape, nulls, 1000)
        if first[0] != second[0] or [(n, n or p) for n, p in first[1]] != [(n, n or p) for n, p in second[1]]:
            raise ValueError("the statement changes with its values beyond their parameters (a value derived "
                             "from another inside build?); pass every varying value to build")
        return first

    def _plan(self, shape: Hashable, nulls: tuple, start: int) -> tuple[str, list]:
        counter = itertools.count(start)
        stand_ins = {name: None if name in nulls else _SENTINELS[kind](next(counter))
                     for name, kind in self.types.items()}
        queryset, values = self.build(shape, **stand_ins)
        sql, params = compile_update(queryset, **values)
        plan, found = [], set()
        for param in params:
            wrapped = hasattr(param, "obj") and hasattr(param, "dumps")  # psycopg's Json/Jsonb
            value = param.obj if wrapped else param
            name = next((n for n, v in stand_ins.items()
                         if v is not None and isinstance(value, type(v)) and v == value), None)
            if name is None:
                plan.append((None, param))  # the same on every use
            elif wrapped:
                found.add(name)
                plan.append((name, _json_wrapper(type(param), param.dumps)))
            else:  # as it is, or typed for its column (psycopg's Int4 and Int8 are ints)
                found.add(name)
                plan.append((name, _as_is if type(param) is type(stand_ins[name]) else type(param)))
        missing = {n for n, v in stand_ins.items() if v is not None} - found
        if missing:
            raise ValueError(f"{', '.join(sorted(missing))}: the ORM changed these values while preparing them; "
                             "this statement cannot be a template on this database")
        return sql, plan


def _as_is(value):
    return value


def _json_wrapper(wrapper: type, dumps) -> Callable:
    return lambda value: wrapper(value, dumps)
