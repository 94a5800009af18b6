"""deploy/opentofu: canonical format (`tofu fmt -check`) and every resource's
arguments against the Cloudflare provider v4 facts in
tests/data/cloudflare-provider-v4.json. The guide's own HCL is the negative
case: it is not formatted and uses the deprecated `value`."""

import os
import shutil
import subprocess
from pathlib import Path

import hcl2
import pytest

from support import DATA, DEPLOY, load_json

PROVIDER = load_json(DATA / "cloudflare-provider-v4.json")
FOLDER = DEPLOY / "opentofu"


def tofu() -> str:
    """The OpenTofu binary scripts/test-deploy installs (TOFU overrides)."""
    path = os.environ.get("TOFU") or shutil.which("tofu")
    if not path:
        pytest.fail("no OpenTofu binary: run scripts/test-deploy, or set TOFU")
    return path


def fmt_check(folder: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "TF_CLI_CONFIG_FILE": "/dev/null"}
    return subprocess.run(
        [tofu(), "fmt", "-check", "-diff", str(folder)],
        capture_output=True, text=True, env=environment, check=False, timeout=60,
    )


def literal(value):
    """python-hcl2 keeps the quotes of string literals and block labels;
    references come as ${...}."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def problems(path: Path) -> tuple[list[str], list[str]]:
    """(errors, deprecation warnings) of every resource in an HCL file."""
    with path.open() as handle:
        document = hcl2.load(handle)
    errors, warnings = [], []
    for block in document.get("resource", []):
        for kind, instances in block.items():
            kind = literal(kind)
            facts = PROVIDER["resources"].get(kind)
            if facts is None:
                errors.append(f"{kind}: not a v4 resource")
                continue
            arguments = facts["arguments"]
            for name, body in instances.items():
                where = f"{kind}.{literal(name)}"
                given = {k: literal(v) for k, v in body.items() if not k.startswith("__")}
                for arg in given:
                    if arg not in arguments:
                        errors.append(f"{where}: unknown argument {arg}")
                    elif "deprecated" in arguments[arg]:
                        warnings.append(f"{where}: {arg} is deprecated")
                for arg, fact in arguments.items():
                    if fact.get("required") and arg not in given:
                        errors.append(f"{where}: missing {arg}")
                    if "enum" in fact and arg in given and given[arg] not in fact["enum"]:
                        errors.append(f"{where}: {arg} = {given[arg]!r} is not one of {fact['enum']}")
                groups = {tuple(f["exactly_one_of"]) for f in arguments.values() if "exactly_one_of" in f}
                for group in groups:
                    if sum(arg in given for arg in group) != 1:
                        errors.append(f"{where}: exactly one of {', '.join(group)}")
                if given.get("proxied") is True and given.get("ttl", 1) != 1:
                    errors.append(f"{where}: a proxied record takes ttl = 1")
    return errors, warnings


def provider_source(path: Path) -> dict:
    with path.open() as handle:
        document = hcl2.load(handle)
    (terraform,) = document["terraform"]
    (providers,) = terraform["required_providers"]
    return {k: literal(v) for k, v in providers["cloudflare"].items()}


def test_the_files_are_canonically_formatted():
    done = fmt_check(FOLDER)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_guide_files_are_not_and_the_check_says_so(tmp_path):
    shutil.copy(DATA / "guide" / "main.tf", tmp_path / "main.tf")
    done = fmt_check(tmp_path)
    assert done.returncode == 3
    assert "mx_google" in done.stdout or "priority" in done.stdout


def test_every_resource_matches_the_provider():
    counts = {}
    for path in sorted(FOLDER.glob("*.tf")):
        errors, warnings = problems(path)
        assert errors == [] and warnings == [], (path.name, errors, warnings)
        with path.open() as handle:
            for block in hcl2.load(handle).get("resource", []):
                for kind, instances in block.items():
                    counts[literal(kind)] = counts.get(literal(kind), 0) + len(instances)
    assert counts == {"cloudflare_zone": 1, "cloudflare_record": 2}


def test_the_guide_main_tf_uses_the_deprecated_value():
    errors, warnings = problems(DATA / "guide" / "main.tf")
    assert errors == []
    assert warnings == [
        "cloudflare_record.mx_google: value is deprecated",
        "cloudflare_record.spf: value is deprecated",
    ]


def test_the_checker_catches_mistakes(tmp_path):
    bad = tmp_path / "bad.tf"
    bad.write_text(
        'resource "cloudflare_record" "x" {\n'
        '  zone_id = "z"\n  name = "a"\n  type = "AX"\n'
        '  content = "1.2.3.4"\n  value = "1.2.3.4"\n  proxied = true\n  ttl = 300\n  colour = "red"\n}\n'
    )
    errors, _ = problems(bad)
    assert sorted(errors) == sorted([
        "cloudflare_record.x: unknown argument colour",
        f"cloudflare_record.x: type = 'AX' is not one of {PROVIDER['resources']['cloudflare_record']['arguments']['type']['enum']}",
        "cloudflare_record.x: exactly one of data, content, value",
        "cloudflare_record.x: a proxied record takes ttl = 1",
    ])


def test_the_provider_is_the_maintained_v4_entry_with_content():
    source = provider_source(FOLDER / "providers.tf")
    assert source["source"] == PROVIDER["registry_sources"]["official"]
    assert source["version"] == "~> 4.39"
    assert provider_source(DATA / "guide" / "providers.tf")["source"] == PROVIDER["registry_sources"]["guide_uses"]
