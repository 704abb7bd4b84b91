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
"""

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
    quote = connection.ops.quote_name
    return ", ".join(quote(field.column) for field in model._meta.concrete_fields)


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
    connection = connections[queryset.db]
    sql, params = compile_update(queryset, **values)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {columns_sql(queryset.model, connection)}", params)
        rows = cursor.fetchall()
    return [instance_from_row(queryset.model, row, connection) for row in rows]


def insert_values(instance: Model, connection) -> tuple[list[str], list[str], list]:
    """The quoted columns, placeholders and prepared values of ``instance``'s INSERT, as ``save`` would send them.

    For an ``INSERT … SELECT`` (where PostgreSQL cannot infer a NULL's type from
    the column) a NULL is written as a cast NULL instead of a parameter.
    """
    quote = connection.ops.quote_name
    columns, placeholders, params = [], [], []
    for field in instance._meta.concrete_fields:
        value = field.get_db_prep_save(field.pre_save(instance, add=True), connection=connection)
        columns.append(quote(field.column))
        if value is None:
            placeholders.append(f"CAST(NULL AS {field.cast_db_type(connection)})")
        else:
            placeholders.append("%s")
            params.append(value)
    return columns, placeholders, params
