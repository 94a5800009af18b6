"""Least privilege, and the ExternalDNS chart's own test vectors
(tests/data/externaldns-vectors.json) that concern the chart: argument lists,
the txtPrefix/txtSuffix refusal, and the default RBAC rules, adapted to
flaredns's names."""

import itertools

import pytest

from support import DATA, args, load_json, of_kind, one, render, render_error

READ = ["get", "list", "watch"]
# What each source needs, as flaredns's source table says (a Rust test,
# tests/it/source_kinds.rs, keeps the file in step with the table).
SOURCE_RULES = {
    source: [(group, resource, verbs) for group, resource, verbs in rules]
    for source, rules in load_json(DATA / "source-rbac.json").items()
}
EVENTS = ("events.k8s.io", "events", ["create", "patch"])


def flat(rules):
    """(group, resource, verbs) per group and resource of a list of rules."""
    return sorted(
        (group, resource, sorted(rule["verbs"]))
        for rule in rules
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    )


def expected(sources):
    rows = [row for source in sources for row in SOURCE_RULES[source]] + [EVENTS]
    return sorted((g, r, sorted(v)) for g, r, v in rows)


SUBSETS = [
    list(c)
    for n in range(1, len(SOURCE_RULES) + 1)
    for c in itertools.combinations(sorted(SOURCE_RULES), n)
]


@pytest.mark.parametrize("sources", SUBSETS, ids="+".join)
def test_the_cluster_role_grants_exactly_what_the_sources_need(sources):
    objects = render({"sources": sources, "crd": {"create": False}})
    assert [a for a in args(objects) if a.startswith("--source=")] == [f"--source={s}" for s in sources]
    role = one(objects, "ClusterRole")
    assert flat(role["rules"]) == expected(sources)
    # Nothing writes except status, events; no Lease without leader election.
    assert of_kind(objects, "Role") == []


def test_crd_create_adds_the_crd_source_and_its_rules():
    objects = render({"sources": ["ingress"]})
    assert [a for a in args(objects) if a.startswith("--source=")] == ["--source=ingress", "--source=crd"]
    assert flat(one(objects, "ClusterRole")["rules"]) == expected(["ingress", "crd"])


def test_rbac_create_false_makes_no_roles():
    objects = render({"rbac": {"create": False}, "replicaCount": 2})
    for kind in ["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"]:
        assert of_kind(objects, kind) == []


def chart_vectors():
    return [
        v for v in load_json(DATA / "externaldns-vectors.json")
        if isinstance(v["input"].get("values"), dict)
    ]


def adapted(expected_args):
    """ExternalDNS's arguments as this chart renders them: Cloudflare instead
    of the default AWS, and leader election said off for one replica."""
    out = []
    for arg in expected_args:
        if arg == "--provider=aws":
            out += ["--leader-election=false", "--provider=cloudflare"]
        else:
            out.append(arg)
    return out


def test_the_vectors_are_all_claimed():
    shapes = [
        "args" if "args" in v["expected"] else "error" if "error" in v["expected"] else "rules"
        for v in chart_vectors()
    ]
    assert sorted(shapes) == ["args"] * 5 + ["error", "rules"]


@pytest.mark.parametrize("vector", [v for v in chart_vectors() if "args" in v["expected"]], ids=lambda v: v["case"])
def test_argument_vectors(vector):
    # The ExternalDNS chart has no crd.create; with it off the sources match.
    values = {**vector["input"]["values"], "crd": {"create": False}}
    assert args(render(values)) == adapted(vector["expected"]["args"])


@pytest.mark.parametrize("vector", [v for v in chart_vectors() if "error" in v["expected"]], ids=lambda v: v["case"])
def test_error_vectors(vector):
    assert vector["expected"]["error"] in render_error(vector["input"]["values"])


@pytest.mark.parametrize("vector", [v for v in chart_vectors() if "rules" in v["expected"]], ids=lambda v: v["case"])
def test_rbac_vector(vector):
    release = vector["input"]["releaseName"]
    values = {**vector["input"]["values"], "crd": {"create": False}}
    objects = render(values, name=release)
    want = vector["expected"]

    def rename(name):
        return name.replace("external-dns", "flaredns")

    role = one(objects, "ClusterRole")
    binding = one(objects, "ClusterRoleBinding")
    account = one(objects, "ServiceAccount")
    assert role["metadata"]["name"] == rename(want["clusterRoleName"])
    assert binding["metadata"]["name"] == rename(want["clusterRoleBindingName"])
    assert account["metadata"]["name"] == rename(want["serviceAccountName"])
    assert binding["subjects"][0]["name"] == account["metadata"]["name"]
    # flaredns reads the same resources, ingresses from networking.k8s.io only
    # (extensions/v1beta1 left Kubernetes in 1.22), with get on nodes too, and
    # adds Events.
    theirs = {
        (group, resource)
        for rule in want["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        if group != "extensions"
    }
    ours = {(g, r) for g, r, _ in flat(role["rules"])}
    assert ours == theirs | {EVENTS[:2]}
    assert all(verbs == READ for g, r, verbs in flat(role["rules"]) if (g, r) in theirs)
