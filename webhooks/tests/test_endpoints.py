"""Webhook endpoints: the API, the refusal of non-public addresses, signing, the delivery log."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from testing.clients import client_for
from testing.factories import UserFactory
from testing.receivers import webhook_receiver
from webhooks import services, transport
from webhooks.models import Endpoint

pytestmark = pytest.mark.django_db
WEBHOOKS = "/api/v1/webhooks/"


@pytest.fixture
def private_allowed(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook",
    "http://[::1]/hook",
    "http://10.0.0.1/hook",
    "http://192.168.1.20:8080/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[fe80::1]/",
    "http://0.0.0.0/",
    "http://100.64.0.1/",
    "http://localhost:9000/hook",  # a name that resolves to loopback
])
def test_non_public_addresses_are_refused(auth_client, url, settings):
    assert settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES is False
    answer = auth_client.post(WEBHOOKS, {"url": url, "events": ["file.processed"]})
    assert answer.status_code == 400, answer.json()
    body = answer.json()
    assert body["code"] == "invalid" and list(body["errors"]) == ["url"]
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize("url", ["ftp://example.com/", "http://user:pw@example.com/", "not a url"])
def test_other_bad_urls_are_refused(auth_client, url):
    assert auth_client.post(WEBHOOKS, {"url": url, "events": ["file.processed"]}).status_code == 400


def test_public_address_check():
    assert transport.is_public("93.184.216.34") and transport.is_public("2606:2800:220:1::1")
    for address in ("127.0.0.1", "::1", "10.1.2.3", "172.16.0.1", "169.254.169.254", "fe80::1", "fd00::1",
                    "::ffff:10.0.0.1", "2002:7f00:1::", "224.0.0.1", "0.0.0.0"):
        assert not transport.is_public(address), address


def test_create_list_update_delete(auth_client, private_allowed):
    created = auth_client.post(WEBHOOKS, {"url": "http://127.0.0.1:9/hook", "events": ["file.processed"]})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert set(body) == {"id", "url", "events", "active", "secret", "created_at", "disabled_reason"}
    assert body["secret"].startswith("whsec_") and body["active"] is True and body["events"] == ["file.processed"]
    url = f"{WEBHOOKS}{body['id']}/"
    listed = auth_client.get(WEBHOOKS).json()
    assert [e["id"] for e in listed] == [body["id"]] and "secret" not in listed[0]
    assert "secret" not in auth_client.get(url).json()
    patched = auth_client.patch(url, {"events": ["file.created", "file.deleted"], "active": False})
    assert patched.status_code == 200
    assert (patched.json()["events"], patched.json()["active"]) == (["file.created", "file.deleted"], False)
    assert auth_client.patch(url, {"events": ["file.exploded"]}).status_code == 400
    other = client_for(UserFactory())
    assert other.get(url).status_code == 404 and other.delete(url).status_code == 404
    assert other.get(WEBHOOKS).json() == []
    assert auth_client.get(f"{WEBHOOKS}not-a-uuid/").status_code == 404
    assert auth_client.delete(url).status_code == 204
    assert auth_client.get(url).status_code == 404


def test_delivery_is_signed_per_standard_webhooks_and_logged(auth_client, private_allowed):
    with webhook_receiver([(500, {}), (204, {})]) as receiver:
        secret = auth_client.post(WEBHOOKS, {"url": receiver.url, "events": ["file.created"]}).json()["secret"]
        endpoint = Endpoint.objects.get()
        body = json.dumps({"id": "7", "type": "file.created"})
        first = services.delivery_attempt(endpoint=endpoint, message_id="7", event_type="file.created", body=body,
                                          attempt=1)
        second = services.delivery_attempt(endpoint=endpoint, message_id="7", event_type="file.created",
                                           body=body, attempt=2)
        requests_seen = [receiver.next(), receiver.next()]
    assert (first.status_code, first.error, second.status_code, second.error) == (
        500, "The endpoint answered 500.", 204, None)
    for seen in requests_seen:
        assert seen.headers["webhook-id"] == "7"
        assert seen.headers["content-type"] == "application/json"
        assert Webhook(secret).verify(seen.body, seen.headers) == {"id": "7", "type": "file.created"}
    with pytest.raises(Exception):  # noqa: B017 - any verification error
        Webhook("whsec_" + "A" * 32).verify(requests_seen[0].body, requests_seen[0].headers)
    log = auth_client.get(f"{WEBHOOKS}{endpoint.pk}/deliveries/").json()
    assert [(d["event_id"], d["attempt"], d["status_code"], d["error"]) for d in log] == [
        ("7", 2, 204, None), ("7", 1, 500, "The endpoint answered 500.")]


def test_redirects_are_not_followed(private_allowed, user):
    endpoint = services.endpoint_create(owner=user, url="http://127.0.0.1:9/", events=["file.created"])
    with webhook_receiver([(302, {"Location": "http://10.0.0.1/steal"})]) as receiver:
        endpoint.url = receiver.url
        delivery = services.delivery_attempt(endpoint=endpoint, message_id="1", event_type="file.created",
                                             body="{}", attempt=1)
        receiver.next()
        assert receiver.requests.empty()
    assert delivery.status_code == 302 and "Redirects are not followed" in delivery.error


def test_address_is_checked_again_at_delivery(settings, user, private_allowed):
    endpoint = services.endpoint_create(owner=user, url="http://127.0.0.1:9/", events=["file.created"])
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    delivery = services.delivery_attempt(endpoint=endpoint, message_id="1", event_type="file.created", body="{}",
                                         attempt=1)
    assert delivery.status_code is None and "non-public address" in delivery.error


def test_refused_connection_is_a_failure(private_allowed, user):
    endpoint = services.endpoint_create(owner=user, url="http://127.0.0.1:9/", events=["file.created"])
    delivery = services.delivery_attempt(endpoint=endpoint, message_id="1", event_type="file.created", body="{}",
                                         attempt=1)
    assert delivery.status_code is None and "ConnectionRefusedError" in delivery.error


def test_endpoint_failing_for_days_is_deactivated_with_the_reason(auth_client, private_allowed):
    endpoint = services.endpoint_create(owner=auth_client.user, url="http://127.0.0.1:9/", events=["file.created"])
    services.delivery_attempt(endpoint=endpoint, message_id="1", event_type="file.created", body="{}", attempt=1)
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.failing_since is not None
    Endpoint.objects.update(failing_since=timezone.now() - timedelta(days=6))
    endpoint.refresh_from_db()
    services.delivery_attempt(endpoint=endpoint, message_id="2", event_type="file.created", body="{}", attempt=1)
    shown = auth_client.get(f"{WEBHOOKS}{endpoint.pk}/").json()
    assert shown["active"] is False
    assert "every delivery has failed since" in shown["disabled_reason"]
    reactivated = auth_client.patch(f"{WEBHOOKS}{endpoint.pk}/", {"active": True}).json()
    assert (reactivated["active"], reactivated["disabled_reason"]) == (True, None)
