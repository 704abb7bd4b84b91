"""``PrebuiltFieldsMixin`` answers exactly what DRF's own ``to_representation`` answers."""

import datetime
import uuid

import pytest
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from api.serializers import METHOD, OWN, PLAIN, PrebuiltFieldsMixin, _representation_plan
from files.enums import Status
from files.serializers import FileSerializer
from testing.factories import FileFactory

pytestmark = pytest.mark.django_db


class Thing:
    def __init__(self, **values):
        self.__dict__.update(values)


class ThingSerializer(PrebuiltFieldsMixin, serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    count = serializers.IntegerField()
    when = serializers.DateTimeField()
    choice = serializers.ChoiceField(choices=["a", "b"])
    data = serializers.JSONField()
    double = serializers.SerializerMethodField()
    link = serializers.HyperlinkedIdentityField(view_name="file-detail")  # reads the request: the serializer's own
    secret = serializers.CharField(write_only=True)
    missing = serializers.CharField(required=False)

    def get_double(self, thing) -> int:
        return thing.count * 2 + self.context.get("offset", 0)


def _drf(serializer, instance) -> dict:
    return serializers.Serializer.to_representation(serializer, instance)


def test_the_plan_shares_only_fields_that_depend_on_the_value_alone():
    plan = {name: how for name, how, _ in _representation_plan(ThingSerializer)}
    assert plan == {"id": PLAIN, "name": PLAIN, "count": PLAIN, "when": PLAIN, "choice": PLAIN, "data": PLAIN,
                    "double": METHOD, "link": OWN, "missing": PLAIN}


@pytest.mark.parametrize("values", [
    {"name": "n", "count": 3, "when": datetime.datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=datetime.UTC),
     "choice": "a", "data": {"x": [1, None]}, "missing": "here"},
    {"name": None, "count": 0, "when": None, "choice": "b", "data": None},
])
def test_a_plain_serializer_represents_as_drf_does(values):
    thing = Thing(id=uuid.uuid4(), pk=uuid.uuid4(), secret="s", **values)
    request = APIRequestFactory().get("/", HTTP_HOST="testserver")
    serializer = ThingSerializer(thing, context={"request": request, "offset": 5})
    assert serializer.data == _drf(ThingSerializer(thing, context={"request": request, "offset": 5}), thing)
    assert serializer.data["double"] == values["count"] * 2 + 5
    assert "secret" not in serializer.data


@pytest.mark.parametrize("state", ["pending", "processed", "failed", "blocked"])
def test_a_file_is_represented_as_drf_does(state, monkeypatch):
    from files import signing

    monkeypatch.setattr(signing.time, "time", lambda: 1_790_000_000.0)  # both signatures expire alike
    record = FileFactory()
    if state == "processed":
        record.status, record.processed, record.result = Status.PROCESSED, True, {"lines": 1, "thumbnail": True}
        record.processed_at = record.status_changed_at
        record.thumbnail.name = "thumbnails/aa/x.webp"
    elif state == "failed":
        record.status, record.error = Status.FAILED, "broken"
    elif state == "blocked":
        record.blocked = True
    request = APIRequestFactory().get("/", HTTP_HOST="testserver")
    fast = FileSerializer(record, context={"request": request}).data
    slow = _drf(FileSerializer(record, context={"request": request}), record)
    assert fast == slow
    assert list(fast) == FileSerializer.Meta.fields
