"""Every rendered object against the Kubernetes schemas (strict, oldest and
newest version kubernetes-validate ships); the CRD-typed objects, the Flux
manifests and DNSEndpoints against their JSON schemas."""

import jsonschema
import kubernetes_validate
import kubernetes_validate.utils
import pytest

from support import DATA, DEPLOY, ROOT, load_json, load_yaml, of_kind, one, render, scenarios

VERSIONS = sorted(set(kubernetes_validate.utils.all_versions()), key=lambda v: tuple(map(int, v.split("."))))
OLDEST_NEWEST = [VERSIONS[0], VERSIONS[-1]]
# Kinds kubernetes-validate has no schema for; each is checked below instead.
CUSTOM_KINDS = {"ServiceMonitor"}


def test_the_versions_span_what_the_chart_supports():
    assert OLDEST_NEWEST == ["1.25.0", "1.37.0"]


@pytest.mark.parametrize("version", OLDEST_NEWEST)
@pytest.mark.parametrize("scenario", sorted(scenarios()))
def test_every_rendered_object_is_valid_kubernetes(scenario, version):
    objects = render(scenarios()[scenario])
    checked = 0
    for obj in objects:
        if obj["kind"] in CUSTOM_KINDS:
            continue
        kubernetes_validate.validate(obj, version, strict=True)
        checked += 1
    assert checked == len(objects) - len(of_kind(objects, "ServiceMonitor"))
    assert checked >= 6


def test_a_misspelt_field_is_caught_by_strict_validation():
    (deployment,) = [o for o in render({}) if o["kind"] == "Deployment"]
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, OLDEST_NEWEST[-1], strict=True)


def test_the_service_monitor_has_the_operator_shape():
    monitor = one(render(scenarios()["service-monitor"]), "ServiceMonitor")
    assert set(monitor) == {"apiVersion", "kind", "metadata", "spec"}
    assert set(monitor["spec"]) == {"jobLabel", "namespaceSelector", "selector", "endpoints"}


def validator(name):
    schema = load_json(DATA / name)
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def errors(name, obj):
    return [e.message for e in validator(name).iter_errors(obj)]


def test_dnsendpoints_validate_against_the_crd_and_the_reference():
    crd = one(render({}), "CustomResourceDefinition")
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    (guide,) = load_yaml(DATA / "manifests" / "guide" / "custom-record.yaml")
    assert list(jsonschema.Draft7Validator(schema).iter_errors(guide)) == []
    assert errors("dnsendpoint-v1alpha1.json", guide) == []
    bad = {**guide, "spec": {"endpoints": [{"dnsName": "a.example.com", "recordTTL": "300"}]}}
    assert len(list(jsonschema.Draft7Validator(schema).iter_errors(bad))) == 1


def test_the_flux_manifests_validate():
    folder = DEPLOY / "flux"
    (release,) = load_yaml(folder / "flaredns" / "helmrelease.yaml")
    (repository,) = load_yaml(folder / "flaredns" / "helmrepository.yaml")
    (sync,) = load_yaml(folder / "sync.yaml")
    assert errors("helmrelease-v2.json", release) == []
    assert errors("helmrepository-v1.json", repository) == []
    assert errors("kustomization-v1.json", sync) == []
    # The guide's own blocks validate too, and a broken release does not.
    (guide_release,) = load_yaml(DATA / "guide" / "helmrelease.yaml")
    (guide_repository,) = load_yaml(DATA / "guide" / "helmrepository.yaml")
    assert errors("helmrelease-v2.json", guide_release) == []
    assert errors("helmrepository-v1.json", guide_repository) == []
    broken = {**release, "spec": {**release["spec"], "chart": None}}
    del broken["spec"]["chart"]
    assert errors("helmrelease-v2.json", broken) != []
    # The plain Kubernetes objects of the folder.
    for name in ["namespace.yaml", "cloudflare-api-token.yaml"]:
        for obj in load_yaml(folder / "flaredns" / name):
            kubernetes_validate.validate(obj, OLDEST_NEWEST[-1], strict=True)


def test_the_committed_crd_is_a_valid_custom_resource_definition():
    (crd,) = load_yaml(ROOT / "crds" / "dnsendpoint.yaml")
    for version in OLDEST_NEWEST:
        kubernetes_validate.validate(crd, version, strict=True)
