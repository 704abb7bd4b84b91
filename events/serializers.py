from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from files.models import File
from files.serializers import FileSerializer

from .enums import EventType
from .models import Event


def file_from_snapshot(snapshot: dict) -> File:
    """An unsaved File holding the snapshot's values, so the File serializer renders it as it was."""
    values = {}
    for field in File._meta.concrete_fields:
        if field.attname in snapshot:
            values[field.attname] = field.to_python(snapshot[field.attname])
    return File(**values)


@extend_schema_field({"type": "array", "items": {"type": "string", "enum": EventType.values}})
class EventTypesField(serializers.Field):
    """A list of event types; any error is one message for the field (not one per item)."""

    def __init__(self, *, allow_empty: bool = True, **kwargs):
        self.allow_empty = allow_empty
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
            raise serializers.ValidationError("Expected a list of event types.")
        unknown = sorted(set(data) - set(EventType.values))
        if unknown:
            raise serializers.ValidationError(f"Unknown event type(s): {', '.join(map(repr, unknown))}; "
                                              f"known: {', '.join(EventType.values)}.")
        if not data and not self.allow_empty:
            raise serializers.ValidationError("Name at least one event type.")
        return sorted(set(data))

    def to_representation(self, value):
        return list(value)


@extend_schema_serializer(component_name="FileEvent")
class EventSerializer(serializers.ModelSerializer):
    """The event object of the contract: a digit-string id, its type, when, and the file as it was."""

    id = serializers.CharField(read_only=True, help_text="Digits; ids increase. Resume with `after=`.")
    type = serializers.ChoiceField(choices=EventType.choices, read_only=True)
    file = serializers.SerializerMethodField(help_text="The File object right after the change "
                                                       "(`{id}` only for `file.deleted`).")

    class Meta:
        model = Event
        fields = ["id", "type", "created_at", "file"]
        read_only_fields = fields

    @extend_schema_field({"type": "object", "additionalProperties": {},
                          "description": "The File object, or `{id}` for file.deleted."})
    def get_file(self, event: Event) -> dict:
        if event.type == EventType.FILE_DELETED:
            return {"id": str(event.file_id)}
        return FileSerializer(file_from_snapshot(event.file), context=self.context).data


@extend_schema_serializer(component_name="FileEventPage")
class EventPageSerializer(serializers.Serializer):
    """``GET /events/``: up to 100 events oldest first, and the id to send as ``after`` next time."""

    results = EventSerializer(many=True)
    last_id = serializers.CharField()


@extend_schema_serializer(component_name="StreamTicket")
class TicketSerializer(serializers.Serializer):
    ticket = serializers.CharField()
    expires_in = serializers.IntegerField(help_text="Seconds the ticket stays valid; it works once.")
