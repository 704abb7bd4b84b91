"""The tus gauge counts unfinished resumable uploads from the database at scrape time."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

TUS = {"HTTP_TUS_RESUMABLE": "1.0.0"}


def tus_in_progress(client) -> float:
    families = text_string_to_metric_families(client.get("/metrics").content.decode())
    return next(sample.value for family in families for sample in family.samples
                if sample.name == "uploads_tus_uploads_in_progress")


@pytest.mark.django_db
def test_unfinished_tus_uploads_are_counted_until_terminated(auth_client, client):
    assert tus_in_progress(client) == 0
    created = auth_client.post("/api/v1/uploads/", HTTP_UPLOAD_LENGTH="10", **TUS)
    assert created.status_code == 201, created.content
    assert tus_in_progress(client) == 1
    assert auth_client.delete(created["Location"], **TUS).status_code == 204
    assert tus_in_progress(client) == 0
