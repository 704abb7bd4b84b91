"""factory_boy factories for the models tests create: users (all with ``PASSWORD``) and stored files."""

import hashlib

import factory
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from files.models import File, Kind, Status

PASSWORD = "S3cure-pass-for-tests"


class UserFactory(factory.django.DjangoModelFactory):
    """A saved user whose password is ``PASSWORD``."""

    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


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
