"""The parsed dbt project kept between processes, reused while its inputs are unchanged.

A parse costs about a second in every process even when dbt's partial parsing finds nothing changed
(reading its msgpack file builds dbt's deserialisers). So the parsed manifest is kept (pickled) under
the target directory with a fingerprint of its inputs (`project_fingerprint`) and reused while they
are unchanged; any change, or a file that cannot be read, means a parse and a new file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import pickle
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from ytempire_ops.config import Settings
from ytempire_ops.errors import first_line

# Where the parsed project is kept between processes, under the project's target directory.
MANIFEST_CACHE_NAME = "ytempire_manifest.pickle"
# Project directories dbt reads when dbt_project.yml does not name them.
DEFAULT_RESOURCE_PATHS = {
    "model-paths": ["models"],
    "macro-paths": ["macros"],
    "snapshot-paths": ["snapshots"],
    "seed-paths": ["seeds"],
    "test-paths": ["tests"],
    "analysis-paths": ["analyses"],
    "docs-paths": [],
}
# Files next to dbt_project.yml that change what a parse produces.
PROJECT_FILES = ("dbt_project.yml", "selectors.yml", "packages.yml", "dependencies.yml")
_ENV_VAR_CALL = re.compile(r"""env_var\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]""")


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": sys.version}
    for package in ("dbt-core", "dbt-adapters", "dbt-postgres", "ytempire-ops"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = ""
    return found


def _yaml_mapping(data: bytes) -> dict[str, Any]:
    """A YAML document as a mapping; {} when it is not one (dbt's own parse reports a broken file)."""
    import yaml

    try:
        loaded = yaml.safe_load(data)
    except yaml.YAMLError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def project_config(project_dir: Path) -> dict[str, Any]:
    """dbt_project.yml as a mapping; {} when it cannot be read or parsed."""
    try:
        return _yaml_mapping((project_dir / "dbt_project.yml").read_bytes())
    except OSError:
        return {}


def project_fingerprint(settings: Settings, extra: list[str]) -> str:
    """A digest of everything a parse of the project depends on, dbt's own macros aside (its version).

    The project's directory; every file under its resource directories and installed packages and
    the project-level YAML files (by content); profiles.yml; the target; the extra arguments (e.g.
    --vars); the environment variables named by an `env_var()` call in the profile or
    dbt_project.yml; the DBT_* variables; the versions of Python, dbt and this package.
    """
    project = settings.project_dir
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(label.encode() + b"\0" + hashlib.sha256(data).digest())

    add("project", str(project.resolve()).encode())
    referenced: set[str] = set()
    contents: dict[str, bytes] = {}
    for name in PROJECT_FILES:
        path = project / name
        if path.is_file():
            contents[name] = path.read_bytes()
    profiles = settings.profiles_dir / "profiles.yml"
    contents["profiles.yml"] = profiles.read_bytes() if profiles.is_file() else b""
    for name, data in sorted(contents.items()):
        add(f"file:{name}", data)
        referenced.update(_ENV_VAR_CALL.findall(data.decode(errors="replace")))
    config = _yaml_mapping(contents.get("dbt_project.yml", b""))
    directories: set[str] = {str(config.get("packages-install-path") or "dbt_packages")}
    for key, default in DEFAULT_RESOURCE_PATHS.items():
        paths = config.get(key) or default
        directories.update(str(path) for path in (paths if isinstance(paths, list) else [paths]))
    for directory in sorted(directories):
        root = project / directory
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            if path.is_file() and "__pycache__" not in path.parts:
                add(f"file:{path.relative_to(project)}", path.read_bytes())
    add("target", settings.target.encode())
    add("args", json.dumps(extra).encode())
    env = {name: os.environ.get(name) for name in sorted(referenced)}
    env.update({name: value for name, value in sorted(os.environ.items()) if name.startswith("DBT_")})
    add("env", json.dumps(env, sort_keys=True).encode())
    add("versions", json.dumps(_versions(), sort_keys=True).encode())
    return digest.hexdigest()


def _parse_env(manifest: Any) -> dict[str, str | None]:
    """The environment variables dbt read while parsing, as they are now (None: unset)."""
    return {name: os.environ.get(name) for name in sorted(manifest.env_vars)}


def _recorded_env(manifest: Any) -> dict[str, str | None]:
    """The values dbt recorded for them at parse time (its placeholder stands for unset)."""
    from dbt.constants import DEFAULT_ENV_PLACEHOLDER

    return {
        name: (None if value == DEFAULT_ENV_PLACEHOLDER else value)
        for name, value in sorted(manifest.env_vars.items())
    }


def manifest_cache_path(settings: Settings) -> Path:
    target = os.environ.get("DBT_TARGET_PATH") or "target"
    return settings.project_dir / target / MANIFEST_CACHE_NAME


def _rebuild_manifest(state: dict[str, Any]) -> Any:
    from dbt.contracts.graph.manifest import Manifest

    return Manifest(**state)


class _ManifestPickler(pickle.Pickler):
    """Pickles a dbt Manifest by its public fields; the look-up caches and the lock are rebuilt.

    dbt's own Manifest.__reduce_ex__ passes its fields by position and leaves some out (in dbt 1.11,
    `fixtures`), so every field after the gap would come back shifted by one.
    """

    def reducer_override(self, obj: Any) -> Any:
        from dbt.contracts.graph.manifest import Manifest

        if type(obj) is Manifest:
            state = {
                f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if not f.name.startswith("_")
            }
            return _rebuild_manifest, (state,)
        return NotImplemented


def read_cached(path: Path, fingerprint: str) -> Any:
    """The manifest kept at path when it was parsed from the same inputs, else None."""
    try:
        with path.open("rb") as handle:
            kept = pickle.load(handle)
        if kept.get("fingerprint") != fingerprint:
            return None
        manifest = kept["manifest"]
        # Environment variables dbt read while parsing (in any file, e.g. a schema prefix).
        return manifest if _recorded_env(manifest) == _parse_env(manifest) else None
    except Exception:  # a missing, unreadable or foreign file only means parsing again
        return None


def write_cached(path: Path, fingerprint: str, manifest: Any) -> str | None:
    """Keep the manifest for the next process (a new file renamed over the old); why not, if not."""
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(descriptor, "wb") as handle:
            _ManifestPickler(handle, protocol=5).dump({"fingerprint": fingerprint, "manifest": manifest})
        os.replace(temporary, path)
        return None
    except Exception as exc:  # without the file, the next process parses again
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        return first_line(exc)
