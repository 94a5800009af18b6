"""The rendered container, run: its arguments and environment handed to
`flaredns config`, and the configuration flaredns resolves from them."""

import pytest

from support import CHART, NAMESPACE, args, env, flaredns_config, load_json, render, resolved, scenarios

SECRET_VALUE = "token-from-the-secret"


def environment(entries: list[dict]) -> dict[str, str]:
    """What the kubelet would set: a Secret reference becomes the token, a
    field reference the pod name."""
    out = {}
    for entry in entries:
        if "value" in entry:
            out[entry["name"]] = entry["value"]
        elif "secretKeyRef" in entry.get("valueFrom", {}):
            ref = entry["valueFrom"]["secretKeyRef"]
            out[entry["name"]] = f"{SECRET_VALUE}:{ref['name']}/{ref['key']}"
        elif "fieldRef" in entry.get("valueFrom", {}):
            out[entry["name"]] = "flaredns-0"
    return out


def run(values: dict) -> dict:
    objects = render(values)
    return resolved(args(objects), environment(env(objects)))


@pytest.mark.parametrize("scenario", sorted(scenarios()))
def test_every_scenario_resolves(scenario):
    config = run(scenarios()[scenario])
    assert config["provider"]["kind"] == "cloudflare"
    assert "crd" in config["sources"]["kinds"]


def test_the_guide_values_resolve_to_the_guide_settings():
    config = run(scenarios()["guide"])
    assert config["registry"]["owner_id"] == "production-cluster-01"
    assert config["scope"]["domain_filters"] == ["example.com"]
    assert config["scope"]["policy"] == "sync"
    cloudflare = config["provider"]["cloudflare"]
    assert cloudflare["proxied"] is True
    assert cloudflare["dns_records_per_page"] == 5000
    assert config["sources"]["kinds"] == ["service", "ingress", "crd"]
    assert cloudflare["credentials"] == {
        "kind": "api-token",
        "token": "<redacted>",
        "source": {"from": "environment"},
    }
    assert config["leader_election"]["enabled"] is False


def test_the_token_comes_from_the_users_env_when_it_sets_cf_api_token():
    objects = render(scenarios()["own-token-env"])
    variables = environment(env(objects))
    assert variables["CF_API_TOKEN"] == f"{SECRET_VALUE}:own/token"
    assert "FLAREDNS_TOKEN_SECRET_REF" not in variables
    config = resolved(args(objects), variables)
    assert config["provider"]["cloudflare"]["credentials"]["kind"] == "api-token"


def test_without_a_secret_there_is_no_token():
    config = run({})
    assert config["provider"]["cloudflare"]["credentials"] is None
    assert config["scope"]["policy"] == "upsert-only"
    assert config["provider"]["cloudflare"]["proxied"] is False


def test_two_replicas_resolve_to_leader_election():
    config = run(scenarios()["two-replicas"])
    assert config["leader_election"] == {
        "enabled": True,
        "namespace": NAMESPACE,
        "lease_name": "external-dns-flaredns",
    }


def test_the_map_form_resolves_like_the_list_form():
    as_map = run(scenarios()["extra-args-map"])
    as_list = run(scenarios()["guide"])
    assert as_map == as_list


def test_a_flag_flaredns_does_not_know_is_refused_not_ignored():
    objects = render({"extraArgs": ["--cloudflare-proxyed=true"]})
    done = flaredns_config(args(objects))
    assert done.returncode == 2
    assert "--cloudflare-proxyed" in done.stderr


def test_every_value_the_schema_allows_is_one_flaredns_takes():
    schema = load_json(CHART / "values.schema.json")["properties"]
    cases = 0
    for key in ["logLevel", "logFormat", "policy", "registry"]:
        for value in schema[key]["enum"]:
            objects = render({key: value})
            done = flaredns_config(args(objects))
            assert done.returncode == 0, (key, value, done.stderr)
            cases += 1
    assert cases == 8 + 2 + 3 + 2
