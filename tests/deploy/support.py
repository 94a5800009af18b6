"""Shared helpers for the deployment tests: paths, rendering the chart with the
real Helm engine, reading rendered objects, and running the flaredns binary.

Everything the tests read lives in this repository (tests/data, charts,
deploy); nothing here needs a cluster or the network.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import helm_python
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "flaredns"
DATA = ROOT / "tests" / "data"
DEPLOY = ROOT / "deploy"

# The release the guide's HelmRelease makes: name and namespace external-dns.
RELEASE = "external-dns"
NAMESPACE = "external-dns"


def load_yaml(path: Path) -> list[dict]:
    """Every non-empty document of a YAML file."""
    with path.open() as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def load_json(path: Path):
    with path.open() as handle:
        return json.load(handle)


def guide_values() -> dict:
    """The `values` block of the guide's HelmRelease, exactly as written."""
    (release,) = load_yaml(DATA / "guide" / "helmrelease.yaml")
    return release["spec"]["values"]


def render(values: dict, name: str = RELEASE, namespace: str = NAMESPACE) -> list[dict]:
    """Renders the chart as `helm install` would (schema check first) and
    returns every object, in file order."""
    with helm_python.Chart.load(str(CHART)) as chart:
        chart.validate_schema(values)
        files = chart.render(values, name=name, namespace=namespace)
    objects = []
    for path in sorted(files):
        if path.endswith(".yaml"):
            objects.extend(doc for doc in yaml.safe_load_all(files[path]) if doc)
    return objects


def render_error(values: dict) -> str:
    """The message of a render that must fail (schema or template `fail`)."""
    try:
        render(values)
    except helm_python.HelmError as err:
        return str(err)
    raise AssertionError(f"rendering {values!r} succeeded")


def of_kind(objects: list[dict], kind: str) -> list[dict]:
    return [o for o in objects if o["kind"] == kind]


def one(objects: list[dict], kind: str) -> dict:
    found = of_kind(objects, kind)
    assert len(found) == 1, f"{len(found)} objects of kind {kind}"
    return found[0]


def container(objects: list[dict]) -> dict:
    (main,) = one(objects, "Deployment")["spec"]["template"]["spec"]["containers"]
    return main


def args(objects: list[dict]) -> list[str]:
    return container(objects)["args"]


def env(objects: list[dict]) -> list[dict]:
    return container(objects).get("env", [])


def flaredns_binary() -> Path:
    """The debug binary scripts/test-deploy builds; FLAREDNS_BIN overrides."""
    return Path(os.environ.get("FLAREDNS_BIN", ROOT / "target" / "debug" / "flaredns"))


def flaredns_config(arguments: list[str], environment: dict[str, str] | None = None):
    """Runs `flaredns config <arguments>` with only `environment` set (plus
    PATH); returns the completed process (stdout is the resolved JSON)."""
    clean = {"PATH": os.environ.get("PATH", "")}
    clean.update(environment or {})
    return subprocess.run(
        [str(flaredns_binary()), "config", *arguments],
        capture_output=True,
        text=True,
        env=clean,
        check=False,
        timeout=60,
    )


def resolved(arguments: list[str], environment: dict[str, str] | None = None) -> dict:
    """The configuration flaredns resolves from the given arguments."""
    done = flaredns_config(arguments, environment)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def scenarios() -> dict[str, dict]:
    """The value sets every rendered-object test runs on, by name."""
    guide = guide_values()
    two = {**guide_values(), "replicaCount": 2}
    monitored = {**guide_values(), "serviceMonitor": {"enabled": True}}
    as_map = {
        **guide_values(),
        "extraArgs": {"cloudflare-proxied": True, "cloudflare-dns-records-per-page": 5000},
    }
    own_token = {
        **guide_values(),
        "env": [
            {
                "name": "CF_API_TOKEN",
                "valueFrom": {"secretKeyRef": {"name": "own", "key": "token"}},
            }
        ],
    }
    return {
        "guide": guide,
        "defaults": {},
        "two-replicas": two,
        "service-monitor": monitored,
        "extra-args-map": as_map,
        "own-token-env": own_token,
        "namespaced": {**guide_values(), "namespaced": True},
    }
