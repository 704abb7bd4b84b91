from datetime import UTC

from django import forms
from django.core.exceptions import ValidationError
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField

from .models import File, Kind, Status


class StrictBooleanField(forms.NullBooleanField):
    """``true``/``false`` (or 1/0); anything else is an error, not "no filter"."""

    TRUE, FALSE = ("true", "True", "1"), ("false", "False", "0")

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value is True or value in self.TRUE:
            return True
        if value is False or value in self.FALSE:
            return False
        raise ValidationError("Enter true or false.", code="invalid")

    def validate(self, value):
        pass


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        kwargs["widget"] = forms.TextInput  # the raw value reaches the field, which checks it
        super().__init__(*args, **kwargs)


class UTCDateTimeField(IsoDateTimeField):
    """An ISO 8601 datetime, converted to UTC here so that an offset the
    database cannot store (PostgreSQL stops at ±15:59) is a 400, not a 500."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except (OverflowError, ValueError) as exc:
            raise ValidationError("Enter a datetime between years 1 and 9999.", code="invalid") from exc


class UTCDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


class FileFilter(filters.FilterSet):
    """The listing's filters; an unknown status or kind, or a bad date, is a 400."""

    # distinct=False: there is no join to duplicate rows, and DISTINCT would
    # stop PostgreSQL from walking the (owner, status, kind, uploaded_at) index.
    status = filters.MultipleChoiceFilter(choices=Status.choices, distinct=False)
    kind = filters.MultipleChoiceFilter(choices=Kind.choices, distinct=False)
    processed = StrictBooleanFilter()
    content_type = filters.CharFilter()
    sha256 = filters.CharFilter()
    changed_after = UTCDateTimeFilter(field_name="status_changed_at", lookup_expr="gt")
    uploaded_after = UTCDateTimeFilter(field_name="uploaded_at", lookup_expr="gte")
    uploaded_before = UTCDateTimeFilter(field_name="uploaded_at", lookup_expr="lt")
    size_min = filters.NumberFilter(field_name="size", lookup_expr="gte", min_value=0)
    size_max = filters.NumberFilter(field_name="size", lookup_expr="lte", min_value=0)

    class Meta:
        model = File
        fields = ["status", "kind", "processed", "content_type", "sha256"]
