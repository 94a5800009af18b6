"""The sandbox driven by a client nobody here wrote: Cloudflare's official
Python SDK (PyPI package `cloudflare`, pinned in scripts/requirements-sdk.txt).

`flaredns sandbox --serve --strict` runs on a free loopback port, seeded with
the guide's zone (example.com, five records). Every call must answer the way
the SDK expects: its typed results carry the values sent, timestamps parse,
pagination stops on the last page, and errors raise the SDK's typed exceptions
with Cloudflare's codes. Strict mode also refuses any field the SDK sends that
Cloudflare does not define.

Run by scripts/test after `cargo test` (which builds target/debug/flaredns);
FLAREDNS_BIN names another binary.
"""

import datetime
import os
import re
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path

import cloudflare
import pytest
from cloudflare import Cloudflare

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("FLAREDNS_BIN", ROOT / "target" / "debug" / "flaredns"))
ZONE = "example.com"
SEEDED_RECORDS = 5
START_TIMEOUT_S = 30
ID = re.compile(r"^[0-9a-f]{32}$")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def sandbox():
    """The running sandbox: (base URL, token). Stopped with Ctrl-C (SIGINT) at
    the end, killed if it does not stop."""
    assert BINARY.is_file(), f"{BINARY} is missing; run `cargo build` first"
    port = free_port()
    process = subprocess.Popen(
        [str(BINARY), "sandbox", "--serve", "--strict", "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        url, token = read_banner(process)
        wait_until_listening(port)
        yield url, token
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def read_banner(process: subprocess.Popen) -> tuple[str, str]:
    """The API URL and token the sandbox prints when it has started."""
    url = token = None
    deadline = time.monotonic() + START_TIMEOUT_S
    while (url is None or token is None) and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"the sandbox exited with {process.wait()} before it started")
        if line.startswith("Cloudflare-compatible API:"):
            url = line.split(":", 1)[1].strip()
        elif line.startswith("API token:"):
            token = line.split(":", 1)[1].strip()
    assert url and token, "the sandbox printed no URL and token"
    return url, token


def wait_until_listening(port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port}")


@pytest.fixture(scope="module")
def client(sandbox) -> Cloudflare:
    url, token = sandbox
    # The SDK's documented settings: base_url and api_token. No retries, so
    # that an error answer is seen as it was sent.
    return Cloudflare(api_token=token, base_url=url, max_retries=0)


@pytest.fixture(scope="module")
def zone_id(client) -> str:
    zones = list(client.zones.list(name=ZONE))
    assert len(zones) == 1
    return zones[0].id


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}.{ZONE}"


def test_token_verify(client):
    token = client.user.tokens.verify()
    assert token.status == "active"
    assert ID.match(token.id)


def test_zones_list_and_get(client, zone_id):
    assert ID.match(zone_id)
    listed = list(client.zones.list())
    assert [z.name for z in listed] == [ZONE]
    assert list(client.zones.list(name="example.org")) == []
    zone = client.zones.get(zone_id=zone_id)
    assert zone.id == zone_id
    assert zone.name == ZONE
    assert zone.status == "active"
    assert zone.paused is False
    assert zone.type == "full"
    assert len(zone.name_servers) == 2
    assert zone.account.id and zone.owner.type == "organization"
    assert isinstance(zone.created_on, datetime.datetime)
    assert isinstance(zone.modified_on, datetime.datetime)


def test_records_list_pages_through_the_whole_zone(client, zone_id):
    everything = list(client.dns.records.list(zone_id=zone_id, per_page=100))
    assert len(everything) >= SEEDED_RECORDS
    first = client.dns.records.list(zone_id=zone_id, per_page=2)
    assert len(first.result) == 2
    assert first.result_info.page == 1
    assert first.result_info.per_page == 2
    assert first.result_info.count == 2
    assert first.result_info.total_count == len(everything)
    # Iterating the page follows the next pages until an empty one.
    paged = [r.id for r in first]
    assert sorted(paged) == sorted(r.id for r in everything)
    assert len(set(paged)) == len(paged)


def test_records_list_filters_by_name_and_type(client, zone_id):
    apex = list(client.dns.records.list(zone_id=zone_id, name={"exact": ZONE}))
    assert sorted(r.type for r in apex) == ["MX", "TXT"]
    apex_mx = list(client.dns.records.list(zone_id=zone_id, name={"exact": ZONE}, type="MX"))
    assert len(apex_mx) == 1
    assert apex_mx[0].content == "aspmx.l.google.com"
    assert apex_mx[0].priority == 1
    static = list(client.dns.records.list(zone_id=zone_id, name={"exact": f"static.{ZONE}"}, type="A"))
    assert [(r.name, r.content) for r in static] == [(f"static.{ZONE}", "192.0.2.100")]
    none = list(client.dns.records.list(zone_id=zone_id, name={"exact": f"absent.{ZONE}"}))
    assert none == []


def test_record_create_get_put_patch_delete(client, zone_id):
    name = unique("life")
    created = client.dns.records.create(
        zone_id=zone_id,
        name=name,
        type="A",
        content="192.0.2.10",
        ttl=300,
        comment="made by the SDK",
    )
    assert ID.match(created.id)
    assert (created.name, created.type, created.content) == (name, "A", "192.0.2.10")
    assert created.ttl == 300
    assert created.proxied is False
    assert created.proxiable is True
    assert created.comment == "made by the SDK"
    assert isinstance(created.created_on, datetime.datetime)
    assert isinstance(created.comment_modified_on, datetime.datetime)

    got = client.dns.records.get(dns_record_id=created.id, zone_id=zone_id)
    assert (got.id, got.content, got.ttl, got.comment) == (created.id, "192.0.2.10", 300, "made by the SDK")

    # PUT overwrites: what it leaves out (the comment) goes back to its default.
    put = client.dns.records.update(
        dns_record_id=created.id,
        zone_id=zone_id,
        name=name,
        type="A",
        content="192.0.2.11",
        ttl=600,
    )
    assert (put.id, put.content, put.ttl, put.comment) == (created.id, "192.0.2.11", 600, None)
    assert put.created_on == created.created_on
    assert put.modified_on > created.modified_on

    # PATCH changes only what it sends; a proxied record has an automatic TTL.
    patched = client.dns.records.edit(
        dns_record_id=created.id,
        zone_id=zone_id,
        name=name,
        type="A",
        proxied=True,
    )
    assert (patched.content, patched.proxied, patched.ttl) == ("192.0.2.11", True, 1)

    deleted = client.dns.records.delete(dns_record_id=created.id, zone_id=zone_id)
    assert deleted.id == created.id
    with pytest.raises(cloudflare.NotFoundError) as missing:
        client.dns.records.get(dns_record_id=created.id, zone_id=zone_id)
    assert missing.value.status_code == 404
    assert missing.value.body["errors"][0]["code"] == 81044


def test_record_settings_are_kept(client, zone_id):
    name = unique("settings")
    created = client.dns.records.create(
        zone_id=zone_id,
        name=name,
        type="CNAME",
        content="lb.example.net",
        ttl=1,
        settings={"flatten_cname": True},
    )
    assert created.settings.flatten_cname is True
    client.dns.records.delete(dns_record_id=created.id, zone_id=zone_id)


def test_batch_runs_deletes_patches_puts_and_posts(client, zone_id):
    names = [unique(f"batch{i}") for i in range(3)]
    seeded = [
        client.dns.records.create(zone_id=zone_id, name=n, type="A", content=f"192.0.2.{20 + i}", ttl=1)
        for i, n in enumerate(names)
    ]
    new_name = unique("batch-new")
    answer = client.dns.records.batch(
        zone_id=zone_id,
        deletes=[{"id": seeded[0].id}],
        patches=[{"id": seeded[1].id, "name": names[1], "type": "A", "content": "198.51.100.1"}],
        puts=[{"id": seeded[2].id, "name": names[2], "type": "A", "content": "198.51.100.2", "ttl": 300}],
        posts=[{"name": new_name, "type": "TXT", "content": '"batch"', "ttl": 1}],
    )
    assert [r.id for r in answer.deletes] == [seeded[0].id]
    assert [(r.id, r.content) for r in answer.patches] == [(seeded[1].id, "198.51.100.1")]
    assert [(r.id, r.content, r.ttl) for r in answer.puts] == [(seeded[2].id, "198.51.100.2", 300)]
    assert [(r.name, r.type) for r in answer.posts] == [(new_name, "TXT")]
    assert ID.match(answer.posts[0].id)
    left = {r.name for r in client.dns.records.list(zone_id=zone_id, per_page=500)}
    assert names[0] not in left
    assert {names[1], names[2], new_name} <= left


def test_a_failing_batch_applies_nothing(client, zone_id):
    name = unique("atomic")
    before = len(list(client.dns.records.list(zone_id=zone_id, per_page=500)))
    with pytest.raises(cloudflare.BadRequestError) as refused:
        client.dns.records.batch(
            zone_id=zone_id,
            posts=[
                {"name": name, "type": "A", "content": "192.0.2.30", "ttl": 1},
                {"name": name, "type": "A", "content": "not-an-ip", "ttl": 1},
            ],
        )
    assert refused.value.body["errors"][0]["code"] == 1004
    assert len(list(client.dns.records.list(zone_id=zone_id, per_page=500))) == before


def test_a_bad_ip_is_a_validation_error(client, zone_id):
    with pytest.raises(cloudflare.BadRequestError) as refused:
        client.dns.records.create(zone_id=zone_id, name=unique("bad"), type="A", content="256.0.0.1", ttl=1)
    assert refused.value.status_code == 400
    error = refused.value.body["errors"][0]
    assert error["code"] == 1004
    assert [cause["code"] for cause in error["error_chain"]] == [9005]
    assert refused.value.body["success"] is False
    assert refused.value.body["result"] is None


def test_a_missing_record_is_81044_and_a_malformed_id_7003(client, zone_id):
    with pytest.raises(cloudflare.NotFoundError) as missing:
        client.dns.records.get(dns_record_id=secrets.token_hex(16), zone_id=zone_id)
    assert missing.value.body["errors"][0]["code"] == 81044
    with pytest.raises(cloudflare.NotFoundError) as gone:
        client.dns.records.delete(dns_record_id=secrets.token_hex(16), zone_id=zone_id)
    assert gone.value.body["errors"][0]["code"] == 81044
    with pytest.raises(cloudflare.BadRequestError) as malformed:
        client.dns.records.get(dns_record_id="not-an-id", zone_id=zone_id)
    assert malformed.value.body["errors"][0]["code"] == 7003


def test_a_bad_token_is_refused(sandbox):
    url, _ = sandbox
    stranger = Cloudflare(api_token="x" * 40, base_url=url, max_retries=0)
    with pytest.raises(cloudflare.PermissionDeniedError) as refused:
        stranger.user.tokens.verify()
    assert refused.value.body["errors"][0]["code"] == 9109


def test_a_field_cloudflare_does_not_define_is_refused_in_strict_mode(client, zone_id):
    with pytest.raises(cloudflare.BadRequestError) as refused:
        client.dns.records.create(
            zone_id=zone_id,
            name=unique("strict"),
            type="A",
            content="192.0.2.40",
            ttl=1,
            extra_body={"proxed": True},
        )
    assert refused.value.body["errors"][0]["code"] == 9207
    with pytest.raises(cloudflare.BadRequestError) as nested:
        client.dns.records.create(
            zone_id=zone_id,
            name=unique("strict"),
            type="A",
            content="192.0.2.41",
            ttl=1,
            settings={"ipv4only": True},
        )
    assert nested.value.body["errors"][0]["code"] == 9207
