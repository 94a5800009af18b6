"""The chart rendered by the real Helm engine: the guide's values block as
written, the defaults, several replicas, the ServiceMonitor, both forms of
`extraArgs` and `provider`, the user's own CF_API_TOKEN, and refusals."""

import copy
import re
import subprocess
import tomllib

import helm_python
import pytest
import yaml

from support import (
    CHART,
    NAMESPACE,
    ROOT,
    args,
    container,
    env,
    flaredns_binary,
    guide_values,
    of_kind,
    one,
    render,
    render_error,
)

GUIDE_ARGS = [
    "--log-level=info",
    "--log-format=text",
    "--interval=1m",
    "--source=service",
    "--source=ingress",
    "--source=crd",
    "--policy=sync",
    "--registry=txt",
    "--txt-owner-id=production-cluster-01",
    "--domain-filter=example.com",
    "--leader-election=false",
    "--provider=cloudflare",
    "--cloudflare-proxied=true",
    "--cloudflare-dns-records-per-page=5000",
]

GUIDE_TOKEN = {
    "name": "CF_API_TOKEN",
    "valueFrom": {"secretKeyRef": {"name": "cloudflare-api-token", "key": "apiToken"}},
}


def names(entries):
    return [e["name"] for e in entries]


def test_the_guide_values_render_as_the_guide_means_them():
    objects = render(guide_values())
    assert args(objects) == GUIDE_ARGS
    assert env(objects) == [
        GUIDE_TOKEN,
        {"name": "FLAREDNS_TOKEN_SECRET_REF", "value": "cloudflare-api-token/apiToken"},
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
    ]
    kinds = sorted(o["kind"] for o in objects)
    assert kinds == [
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "Deployment",
        "Service",
        "ServiceAccount",
    ]
    crd = one(objects, "CustomResourceDefinition")
    assert crd["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"


def test_the_crd_template_is_the_committed_crd():
    crd = one(render(guide_values()), "CustomResourceDefinition")
    (committed,) = yaml.safe_load_all((ROOT / "crds" / "dnsendpoint.yaml").read_text())
    assert crd["spec"] == committed["spec"]
    annotations = dict(committed["metadata"]["annotations"])
    annotations["helm.sh/resource-policy"] = "keep"
    assert crd["metadata"]["annotations"] == annotations
    # Not in crds/: Helm would install it whatever crd.create says.
    assert not (CHART / "crds").exists()


def test_provider_takes_the_string_and_the_map_form():
    as_map = guide_values()
    as_map["provider"] = {"name": "cloudflare"}
    assert args(render(as_map)) == GUIDE_ARGS
    unset = guide_values()
    del unset["provider"]
    assert args(render(unset)) == GUIDE_ARGS
    for other in ["aws", {"name": "aws"}]:
        wrong = guide_values()
        wrong["provider"] = other
        message = render_error(wrong)
        assert 'provider "aws" is not supported' in message, message


def test_defaults():
    objects = render({})
    assert args(objects) == [
        "--log-level=info",
        "--log-format=text",
        "--interval=1m",
        "--source=service",
        "--source=ingress",
        "--source=crd",
        "--policy=upsert-only",
        "--registry=txt",
        "--leader-election=false",
        "--provider=cloudflare",
    ]
    # No token wiring without a Secret, and no Cloudflare flag by default.
    assert names(env(objects)) == ["POD_NAME"]
    main = container(objects)
    cargo = tomllib.loads((ROOT / "Cargo.toml").read_text())
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["appVersion"] == cargo["package"]["version"]
    assert main["image"] == f"ghcr.io/flaredns/flaredns:v{cargo['package']['version']}"
    version = subprocess.run(
        [str(flaredns_binary()), "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout == f"flaredns {chart['appVersion']}\n"
    assert main["ports"] == [{"name": "http", "containerPort": 7979, "protocol": "TCP"}]
    assert main["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert main["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    security = main["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    pod = one(objects, "Deployment")["spec"]
    assert pod["replicas"] == 1
    assert pod["strategy"] == {"type": "Recreate"}
    assert pod["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    assert of_kind(objects, "PodDisruptionBudget") == []
    assert of_kind(objects, "Role") == []
    service = one(objects, "Service")["spec"]
    assert service["ports"] == [
        {"name": "http", "port": 7979, "targetPort": "http", "protocol": "TCP"}
    ]


def test_two_replicas_elect_a_leader():
    values = guide_values()
    values["replicaCount"] = 2
    objects = render(values)
    assert args(objects)[10:13] == [
        "--leader-election",
        f"--leader-election-namespace={NAMESPACE}",
        "--leader-election-lease-name=external-dns-flaredns",
    ]
    assert "--leader-election=false" not in args(objects)
    deployment = one(objects, "Deployment")["spec"]
    assert deployment["replicas"] == 2
    assert deployment["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
    }
    budget = one(objects, "PodDisruptionBudget")["spec"]
    assert budget["maxUnavailable"] == 1
    assert budget["selector"] == deployment["selector"]
    role = one(objects, "Role")
    assert role["metadata"]["namespace"] == NAMESPACE
    assert role["rules"] == [
        {
            "apiGroups": ["coordination.k8s.io"],
            "resources": ["leases"],
            "verbs": ["get", "create", "update", "patch"],
        }
    ]
    binding = one(objects, "RoleBinding")
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "external-dns-flaredns", "namespace": NAMESPACE}
    ]


def test_the_service_monitor_scrapes_metrics():
    values = guide_values()
    values["serviceMonitor"] = {"enabled": True, "interval": "30s", "additionalLabels": {"team": "dns"}}
    monitor = one(render(values), "ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["team"] == "dns"
    assert monitor["spec"]["endpoints"] == [{"port": "http", "path": "/metrics", "interval": "30s"}]
    assert monitor["spec"]["selector"]["matchLabels"] == {
        "app.kubernetes.io/name": "flaredns",
        "app.kubernetes.io/instance": "external-dns",
    }
    assert of_kind(render(guide_values()), "ServiceMonitor") == []


def test_extra_args_as_a_map():
    values = guide_values()
    values["extraArgs"] = {
        "cloudflare-proxied": True,
        "cloudflare-dns-records-per-page": 5000,
        "exclude-domains": ["internal.example.com", "staging.example.com"],
        "events": False,
        "dry-run": None,
    }
    assert args(render(values))[-7:] == [
        "--provider=cloudflare",
        "--cloudflare-dns-records-per-page=5000",
        "--cloudflare-proxied",
        "--dry-run",
        "--no-events",
        "--exclude-domains=internal.example.com",
        "--exclude-domains=staging.example.com",
    ]


def test_a_flag_in_extra_args_is_never_also_set_by_the_chart():
    values = guide_values()
    values.update(triggerLoopOnEvent=True, excludeDomains=["a.example.com"], replicaCount=2)
    values["extraArgs"] = [
        "--policy=upsert-only",
        "--log-level=debug",
        "--no-events",
        "--exclude-domains=b.example.com",
        "--leader-election-lease-name=dns",
        "--source=ingress",
    ]
    rendered = args(render(values))
    flags = [re.sub(r"=.*", "", a) for a in rendered]
    for flag in ["--policy", "--log-level", "--exclude-domains", "--leader-election-lease-name"]:
        assert flags.count(flag) == 1, (flag, rendered)
    assert "--events" not in rendered and "--no-events" in rendered
    assert "--leader-election-lease-name=dns" in rendered
    # The sources are extraArgs' alone, and RBAC follows them.
    assert [a for a in rendered if a.startswith("--source")] == ["--source=ingress"]
    (role,) = of_kind(render(values), "ClusterRole")
    resources = sorted(r for rule in role["rules"] for r in rule["resources"])
    assert resources == ["events", "ingresses"]
    # extraArgs may turn leader election off, and the Lease role goes with it.
    values["extraArgs"] = ["--leader-election=false"]
    objects = render(values)
    assert [a for a in args(objects) if a.startswith("--leader")] == ["--leader-election=false"]
    assert of_kind(objects, "Role") == []


def test_the_user_env_carries_the_token_and_wins():
    values = guide_values()
    own = {"name": "CF_API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "mine", "key": "token"}}}
    values["env"] = [{"name": "TZ", "value": "UTC"}, own]
    entries = env(render(values))
    assert names(entries) == ["TZ", "CF_API_TOKEN", "POD_NAME"]
    assert entries[1] == own
    # Without env, the default key is Bitnami's.
    default_key = guide_values()
    del default_key["cloudflare"]["secretKey"]
    token = env(render(default_key))[0]
    assert token["valueFrom"]["secretKeyRef"] == {
        "name": "cloudflare-api-token",
        "key": "cloudflare_api_token",
    }


def test_typos_and_bad_values_are_refused_with_the_key_named():
    cases = [
        ({"domainFilter": ["example.com"]}, "domainFilter"),
        ({"cloudflare": {"secretname": "x"}}, "secretname"),
        ({"policy": "delete-all"}, "policy"),
        ({"sources": ["node"]}, "sources"),
        ({"replicaCount": 0}, "replicaCount"),
        ({"logFormat": "yaml"}, "logFormat"),
    ]
    for values, key in cases:
        message = render_error(values)
        assert key in message, message


def test_txt_prefix_and_suffix_together_are_refused():
    message = render_error({"txtPrefix": "a-", "txtSuffix": "-b"})
    assert "'txtPrefix' and 'txtSuffix' are mutually exclusive" in message


def test_namespaced_uses_a_role_without_nodes():
    objects = render({"namespaced": True})
    assert f"--namespace={NAMESPACE}" in args(objects)
    assert of_kind(objects, "ClusterRole") == []
    role = one(objects, "Role")
    resources = [r for rule in role["rules"] for r in rule["resources"]]
    assert "nodes" not in resources
    assert one(objects, "RoleBinding")["roleRef"]["kind"] == "Role"


@pytest.mark.parametrize("values", [{}, "guide", {"replicaCount": 3, "serviceMonitor": {"enabled": True}}])
def test_lint_is_clean(values):
    values = guide_values() if values == "guide" else copy.deepcopy(values)
    report = helm_python.lint(str(CHART), values, strict=True, kube_version="v1.30.0")
    assert report["errors"] == []
    # The only remark Helm makes is that a chart icon is recommended.
    assert [m["error"] for m in report["messages"]] == ["icon is recommended"]
