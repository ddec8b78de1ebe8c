"""deploy/compose.yaml, checked without Docker: every Gazette service runs a real `gazette`
command with options it takes, every GAZETTE_ name it sets is a setting, the files it mounts
exist, and the VCL its Varnish builds from deploy/varnish/gazette.vcl compiles."""

import shutil
import subprocess
import tempfile
from pathlib import Path

import click
import pytest
import typer.main
import yaml
from dotenv import dotenv_values

from app.cli import app
from app.settings import Settings
from tests.support.processes import ROOT

DEPLOY = ROOT / "deploy"
COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
SERVICES: dict[str, dict] = COMPOSE["services"]
GAZETTE = {name: s for name, s in SERVICES.items() if s.get("image") == "gazette:local"}
SETTINGS = {f"GAZETTE_{name.upper()}" for name in Settings.model_fields}


def test_the_topology_is_there():
    assert {"db-primary", "db-replica", "redis", "node1", "node2", "worker", "purger", "varnish"} <= set(SERVICES)
    assert all(s["build"]["dockerfile"] == "Dockerfile" for s in GAZETTE.values())
    assert (DEPLOY / GAZETTE["node1"]["build"]["context"] / "Dockerfile").is_file()
    for name, service in SERVICES.items():
        assert set(service.get("depends_on") or []) <= set(SERVICES), name
    assert SERVICES["purger"]["network_mode"] == "service:varnish"


@pytest.mark.parametrize("name", sorted(GAZETTE))
def test_each_gazette_service_runs_a_real_command_with_options_it_takes(name):
    command = GAZETTE[name]["command"]
    assert command[0] == "gazette"
    group = typer.main.get_command(app)
    context = click.Context(group, info_name="gazette")
    words = command[1:]
    while isinstance(group, click.Group):
        found = group.get_command(context, words[0])
        assert found is not None, f"{name}: gazette has no command {words[0]!r}"
        group, words = found, words[1:]
    group.make_context(" ".join(command), list(words))  # raises on an option it does not take


def test_every_gazette_name_is_a_setting_and_the_shared_ones_are_in_one_env_file():
    env_files = {s["env_file"] for s in GAZETTE.values()}
    assert len(env_files) == 1
    shared = dotenv_values(DEPLOY / env_files.pop())
    names = set(shared) | {
        n for s in SERVICES.values() for n in (s.get("environment") or {}) if n.startswith("GAZETTE_")
    }
    assert names - SETTINGS == set()
    assert {"GAZETTE_SECRET_KEY", "GAZETTE_SITE_URL", "GAZETTE_API_URL", "GAZETTE_DATABASE_URL"} <= set(shared)
    Settings(**{k.removeprefix("GAZETTE_").lower(): v for k, v in shared.items()})  # each value is valid


def test_the_files_it_mounts_exist():
    for name, service in SERVICES.items():
        for volume in service.get("volumes") or []:
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).is_file(), f"{name}: {source}"


def test_shell_scripts_parse():
    for script in (DEPLOY / "compose").glob("*.sh"):
        subprocess.run(["sh", "-n", str(script)], check=True)


@pytest.mark.skipif(shutil.which("varnishd") is None, reason="varnishd is not installed (apt-get install varnish)")
def test_the_vcl_varnish_builds_from_the_shipped_one_compiles():
    nodes = SERVICES["varnish"]["environment"]["VARNISH_BACKENDS"]
    with tempfile.TemporaryDirectory() as folder:
        Path(folder).chmod(0o755)
        built = subprocess.run(
            ["sh", str(DEPLOY / "compose" / "varnish-start.sh"), "--check"],
            env={
                "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                "VARNISH_BACKENDS": nodes.replace("node1", "127.0.0.1").replace("node2", "127.0.0.1"),
                "VARNISH_VCL": str(DEPLOY / "varnish" / "gazette.vcl"),
                "VARNISH_VCL_OUT": f"{folder}/gazette.vcl",
            },
            capture_output=True,
            text=True,
        )
        assert built.returncode == 0, built.stderr[-2000:]
        vcl = Path(folder, "gazette.vcl").read_text()
    assert "nodes.add_backend(gazette_2);" in vcl
