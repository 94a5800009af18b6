"""deploy/flux: the guide's HelmRelease pointed at this chart, its
HelmRepository, the token Secret and the SOPS-decrypting Kustomization fit
together."""

import yaml

from support import CHART, DATA, DEPLOY, args, env, guide_values, load_yaml, render

FOLDER = DEPLOY / "flux" / "flaredns"


def release():
    (obj,) = load_yaml(FOLDER / "helmrelease.yaml")
    return obj


def test_the_release_keeps_the_guide_values_and_points_at_this_chart():
    spec = release()["spec"]
    assert spec["values"] == guide_values()
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert spec["chart"]["spec"]["chart"] == chart["name"]
    # "0.1.x" picks the chart's own version.
    major, minor, _ = chart["version"].split(".")
    assert spec["chart"]["spec"]["version"] == f"{major}.{minor}.x"
    (repository,) = load_yaml(FOLDER / "helmrepository.yaml")
    source = spec["chart"]["spec"]["sourceRef"]
    assert source == {
        "kind": "HelmRepository",
        "name": repository["metadata"]["name"],
        "namespace": repository["metadata"]["namespace"],
    }
    # The guide's release differs only where it names ExternalDNS.
    (guide,) = load_yaml(DATA / "guide" / "helmrelease.yaml")
    assert spec["install"] == guide["spec"]["install"]
    assert spec["upgrade"] == guide["spec"]["upgrade"]
    assert spec["interval"] == guide["spec"]["interval"]


def test_the_release_renders_with_the_secret_it_ships():
    spec = release()["spec"]
    namespace = spec["targetNamespace"]
    objects = render(spec["values"], name=spec["releaseName"], namespace=namespace)
    (secret,) = load_yaml(FOLDER / "cloudflare-api-token.yaml")
    assert secret["metadata"]["namespace"] == namespace
    token = env(objects)[0]["valueFrom"]["secretKeyRef"]
    assert token == {"name": secret["metadata"]["name"], "key": "apiToken"}
    assert list(secret["stringData"]) == ["apiToken"]
    assert "--provider=cloudflare" in args(objects)
    (ns,) = load_yaml(FOLDER / "namespace.yaml")
    assert ns["metadata"]["name"] == namespace


def test_the_kustomization_lists_every_manifest_and_decrypts_with_sops():
    (kustomize,) = load_yaml(FOLDER / "kustomization.yaml")
    manifests = sorted(
        p.name
        for p in FOLDER.glob("*.yaml")
        if p.name != "kustomization.yaml" and not p.name.startswith(".")
    )
    assert sorted(kustomize["resources"]) == manifests
    (sync,) = load_yaml(DEPLOY / "flux" / "sync.yaml")
    assert sync["spec"]["decryption"]["provider"] == "sops"
    assert sync["spec"]["prune"] is True
    (rules,) = load_yaml(FOLDER / ".sops.yaml")
    (rule,) = rules["creation_rules"]
    # apiVersion, kind and metadata must stay readable for Flux.
    assert rule["encrypted_regex"] == "^(data|stringData)$"
