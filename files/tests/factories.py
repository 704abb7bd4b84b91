import hashlib

import factory
from django.core.files.base import ContentFile

from files.models import File, Kind, Status
from users.tests.factories import UserFactory


class FileFactory(factory.django.DjangoModelFactory):
    """A stored file row with real bytes in storage (default: a small text file)."""

    class Meta:
        model = File

    class Params:
        content = b"hello world\n"

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"file{n}.txt")
    size = factory.LazyAttribute(lambda f: len(f.content))
    sha256 = factory.LazyAttribute(lambda f: hashlib.sha256(f.content).hexdigest())
    content_type = "text/plain"
    kind = Kind.TEXT
    status = Status.PENDING
    file = factory.LazyAttribute(lambda f: ContentFile(f.content, name=f.name))
