from django_filters import rest_framework as filters

from .models import File, Kind, Status


class FileFilter(filters.FilterSet):
    """The listing's filters; an unknown status or kind, or a bad date, is a 400."""

    status = filters.MultipleChoiceFilter(choices=Status.choices)
    kind = filters.MultipleChoiceFilter(choices=Kind.choices)
    processed = filters.BooleanFilter()
    content_type = filters.CharFilter()
    sha256 = filters.CharFilter()
    uploaded_after = filters.IsoDateTimeFilter(field_name="uploaded_at", lookup_expr="gte")
    uploaded_before = filters.IsoDateTimeFilter(field_name="uploaded_at", lookup_expr="lt")
    size_min = filters.NumberFilter(field_name="size", lookup_expr="gte", min_value=0)
    size_max = filters.NumberFilter(field_name="size", lookup_expr="lte", min_value=0)

    class Meta:
        model = File
        fields = ["status", "kind", "processed", "content_type", "sha256"]
