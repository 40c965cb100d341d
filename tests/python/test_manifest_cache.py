"""The parsed project kept between processes (dbt_ops.load_manifest): reused only while its inputs are unchanged.

Each load runs in its own process, as refresh does under cron, on a copy of the project whose files
the tests change.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT_DIR, StackHandle

# Loads the manifest once and prints what the tests compare: where it came from, a digest of its
# serialised form, and look-ups that read fields dbt's own pickling of a Manifest would shift.
LOAD = """
import dataclasses, hashlib, json, sys
from ytempire_ops.config import Settings
from ytempire_ops.dbt_ops import load_manifest

def plain(value):
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value

loaded = load_manifest(Settings.load(), sys.argv[1:])
manifest = loaded.manifest
fields = {f.name: plain(getattr(manifest, f.name)) for f in dataclasses.fields(manifest) if not f.name.startswith("_")}
serialised = json.dumps(fields, sort_keys=True, default=str)
node = manifest.ref_lookup.find("dim_video", None, None, manifest)
print(json.dumps({
    "source": loaded.source,
    "digest": hashlib.sha256(serialised.encode()).hexdigest(),
    "fixtures": sorted(manifest.fixtures),
    "dim_video": node.unique_id,
    "schemas": sorted({n.schema for n in manifest.nodes.values() if n.resource_type == "model"}),
    "models": sorted(n.name for n in manifest.nodes.values() if n.resource_type == "model"),
    "raw_code": {n.name: n.raw_code for n in manifest.nodes.values() if n.name == "dim_user"},
}))
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the dbt project (without the Python tests and build output)."""
    copy = tmp_path / "project"
    shutil.copytree(
        PROJECT_DIR,
        copy,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", ".ytempire", "target", "logs", "python", "__pycache__"
        ),
    )
    return copy


def load(stack: StackHandle, project: Path, *extra: str, **env: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", LOAD, *extra],
        # The kept manifest lives in the copy's own target/ (a path relative to the project).
        env=stack.env(YTEMPIRE_PROJECT_DIR=str(project), DBT_TARGET_PATH="target", **env),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_parse_is_kept_and_read_back_whole(test_stack: StackHandle, project: Path) -> None:
    first = load(test_stack, project)
    second = load(test_stack, project)
    assert (first["source"], second["source"]) == ("parsed", "kept")
    # The same manifest, every field in its place (fixtures and look-ups included).
    assert second["digest"] == first["digest"]
    assert second["fixtures"] == first["fixtures"] != []
    assert second["dim_video"] == "model.ytempire_analytics.dim_video"
    assert (project / "target" / "ytempire_manifest.pickle").is_file()


def test_a_changed_or_added_file_is_parsed_again(test_stack: StackHandle, project: Path) -> None:
    load(test_stack, project)
    model = project / "models" / "marts" / "core" / "dim_user.sql"
    model.write_text(model.read_text() + "\n-- changed\n")
    changed = load(test_stack, project)
    assert changed["source"] == "parsed"
    assert changed["raw_code"]["dim_user"].rstrip().endswith("-- changed")

    (project / "models" / "marts" / "core" / "dim_extra.sql").write_text("select 1 as one\n")
    added = load(test_stack, project)
    assert added["source"] == "parsed"
    assert "dim_extra" in added["models"]
    assert load(test_stack, project)["source"] == "kept"


def test_other_vars_or_environment_are_parsed_again(test_stack: StackHandle, project: Path) -> None:
    plain = load(test_stack, project)
    with_vars = load(test_stack, project, "--vars", "{hourly_window_hours: 12}")
    assert with_vars["source"] == "parsed"
    # The ci target's schema prefix is read while parsing (generate_schema_name), not named by the
    # profile: dbt's record of what it read tells that the kept manifest no longer applies.
    ci = load(test_stack, project, YTEMPIRE_TARGET="ci", YTEMPIRE_SCHEMA_PREFIX="ci")
    assert ci["source"] == "parsed"
    assert all(schema.startswith("ci_") for schema in ci["schemas"])
    qa = load(test_stack, project, YTEMPIRE_TARGET="ci", YTEMPIRE_SCHEMA_PREFIX="qa")
    assert qa["source"] == "parsed"
    assert all(schema.startswith("qa_") for schema in qa["schemas"])
    again = load(test_stack, project)
    assert again["source"] == "parsed"
    assert again["schemas"] == plain["schemas"]


def test_an_unreadable_file_means_a_parse(test_stack: StackHandle, project: Path) -> None:
    load(test_stack, project)
    kept = project / "target" / "ytempire_manifest.pickle"
    kept.write_bytes(b"not a pickle")
    assert load(test_stack, project)["source"] == "parsed"
    assert load(test_stack, project)["source"] == "kept"


def test_a_moved_project_is_parsed_again(test_stack: StackHandle, project: Path, tmp_path: Path) -> None:
    load(test_stack, project)
    moved = tmp_path / "moved"
    shutil.copytree(project, moved)  # target/ with the kept manifest included
    assert load(test_stack, moved)["source"] == "parsed"
    assert load(test_stack, moved)["source"] == "kept"
