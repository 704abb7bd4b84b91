import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from .enums import Kind, Status


def storage_name(instance: "File", filename: str) -> str:
    """Where a file's bytes live: generated from its id, never the client's name."""
    return stored_name_for(instance.id)


def stored_name_for(file_id: uuid.UUID) -> str:
    """The stored name of the File with id ``file_id``."""
    return f"uploads/{file_id.hex[:2]}/{file_id.hex}"


class File(models.Model):
    """An uploaded file, its processing state and what processing found.

    ``file``, ``uploaded_at`` and ``processed`` are the fields of the original
    brief; ``processed`` is true exactly when ``status`` is ``processed``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=storage_name, max_length=255)
    uploaded_at = models.DateTimeField(default=timezone.now)
    processed = models.BooleanField(default=False)

    name = models.CharField(max_length=255, help_text="Safe display name derived from the client's file name.")
    size = models.BigIntegerField()
    content_type = models.CharField(max_length=127)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    status_changed_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(null=True, blank=True)  # noqa: DJ001 - the contract answers null, not ""
    result = models.JSONField(null=True, blank=True)
    thumbnail = models.FileField(max_length=255, blank=True, default="")
    blocked = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_by = models.CharField(max_length=64, blank=True, default="",
                                  help_text="Id of the task that holds the processing claim.")
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001 - NULLs stay out of the unique constraint

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-uploaded_at", "-id"], name="file_owner_uploaded"),
            models.Index(fields=["owner", "status", "kind", "-uploaded_at", "-id"], name="file_owner_status_kind"),
            models.Index(fields=["owner", "kind", "-uploaded_at", "-id"], name="file_owner_kind"),
            models.Index(fields=["owner", "sha256"], name="file_owner_sha256"),
            models.Index(fields=["status", "status_changed_at"], name="file_status_changed"),
            # changed_after + ordering=status_changed_at (delta sync): a range scan of one owner's rows.
            models.Index(fields=["owner", "status_changed_at", "id"], name="file_owner_changed"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["owner", "idempotency_key"], name="file_owner_idempotency_key"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"

    @staticmethod
    def status_fields(status: Status, **fields) -> dict:
        """The fields of an UPDATE that moves a file to ``status``: ``processed`` is derived here and only here."""
        now = fields.pop("now", None) or timezone.now()
        return {"status": status, "processed": status == Status.PROCESSED, "status_changed_at": now, **fields}


class ResumableUpload(models.Model):
    """An unfinished tus upload: its declared length, the bytes received so far and where they wait.

    ``length`` bytes are reserved against the owner's quota from creation
    until the upload becomes a File (the reservation becomes the File's usage),
    is terminated or expires (released). ``offset`` is the number of bytes
    stored; on S3 they are the recorded multipart ``parts`` (each at least
    5 MiB) plus a smaller tail object, so any web process can take the next PATCH.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resumable_uploads")
    name = models.CharField(max_length=255, help_text="Safe display name from the client's filename metadata.")
    length = models.BigIntegerField(help_text="Upload-Length: the bytes reserved against the quota.")
    offset = models.BigIntegerField(default=0, help_text="Bytes received and stored so far.")
    new_file_id = models.UUIDField(default=uuid.uuid4, editable=False,
                                   help_text="Id of the File this upload becomes; it also names the stored bytes.")
    file = models.OneToOneField(File, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                                help_text="The File, once the upload is complete.")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(help_text="FILES_TUS_EXPIRY after the last PATCH.")
    patch_lease_until = models.DateTimeField(null=True, blank=True,
                                             help_text="A PATCH holds the upload until then.")
    s3_upload_id = models.CharField(max_length=1024, blank=True, default="")
    s3_parts = models.JSONField(default=list, blank=True, help_text="[{PartNumber, ETag, Size}] stored so far.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["expires_at"], name="resumable_upload_expires")]

    def __str__(self) -> str:
        return f"{self.name} ({self.offset}/{self.length})"

    @property
    def complete(self) -> bool:
        return self.file_id is not None
