"""Serializer plumbing the apps share."""

import functools

from rest_framework import fields as drf_fields
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.serializers import Serializer

# Fields whose output depends on the value alone (not on the request, the context or the parent).
CONTEXT_FREE_FIELDS = (
    drf_fields.BooleanField, drf_fields.CharField, drf_fields.ChoiceField, drf_fields.DateTimeField,
    drf_fields.DecimalField, drf_fields.FloatField, drf_fields.IntegerField, drf_fields.JSONField,
    drf_fields.ReadOnlyField, drf_fields.UUIDField,
)
PLAIN, METHOD, OWN = "plain", "method", "own"


class PrebuiltFieldsMixin:
    """``to_representation`` with fields built once per serializer class, not once per instance.

    DRF builds every field of a ``ModelSerializer`` anew — and deep-copies the
    declared ones — for each serializer it creates: for the File's 17 fields
    that is about 0.3 ms of every upload's and every file request's CPU (issue
    19), though they depend on nothing but the class. Here the fields whose
    output depends on the value alone are built once and shared; method fields
    are called on this serializer; any other field (one that reads the request
    or the context) is this serializer's own, built as DRF builds it. The output
    is DRF's, key for key (``api/tests/test_serializers.py`` and the File's own
    test compare them). Validation and the schema still use DRF's fields.
    """

    def to_representation(self, instance):
        ret = {}
        for name, how, field in _representation_plan(type(self)):
            if how == METHOD:
                ret[name] = getattr(self, field)(instance)
                continue
            if how == OWN:
                field = self.fields[name]
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
            check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            ret[name] = None if check_for_none is None else field.to_representation(attribute)
        return ret


@functools.cache
def _representation_plan(serializer_class: type[Serializer]) -> list[tuple]:
    """(name, how, field or method name) for each readable field of ``serializer_class``, in order."""
    prototype = serializer_class(context={})
    plan = []
    for field in prototype._readable_fields:
        if isinstance(field, drf_fields.SerializerMethodField):
            plan.append((field.field_name, METHOD, field.method_name))
        elif isinstance(field, CONTEXT_FREE_FIELDS) and field.source != "*":
            plan.append((field.field_name, PLAIN, field))
        else:
            plan.append((field.field_name, OWN, None))
    return plan
