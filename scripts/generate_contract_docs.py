"""Regenerate the generated parts of the contract documentation from the project's own sources.

The contract users rely on lives in docs/contract/ (and README.md, docs/redis_keys.md). Its
tables are generated so they cannot drift from what the project does:

- raw tables: ytempire_ops/sql/raw_schema.sql (the DDL the project creates), the sources YAML
  (descriptions, freshness) and the accepted values of macros/quality/quarantine_rules.sql;
- warehouse relations: the dbt YAML under models/ (descriptions, grain, columns, data types,
  contracts), materializations from dbt_project.yml and the models' config blocks, exposures;
- dbt vars: dbt_project.yml, with the comment above each var;
- the CLI: the Typer app's commands and options; exit codes: ytempire_ops.errors.EXIT_CODES;
- Redis keys and TTL classes: the warm module's constants.

Each generated part sits between `<!-- generated: NAME ... -->` and `<!-- end generated -->`;
everything outside the markers is hand-written and kept. Usage:

    python scripts/generate_contract_docs.py          # rewrite stale files
    python scripts/generate_contract_docs.py --check  # exit 1 and name the stale files
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PROJECT_DIR = Path(__file__).resolve().parents[1]
COMMAND = "python scripts/generate_contract_docs.py"
# Files that may hold generated blocks.
DOC_FILES = (
    "README.md",
    "docs/contract/raw_tables.md",
    "docs/contract/warehouse.md",
    "docs/contract/business_rules.md",
    "docs/contract/cli.md",
    "docs/redis_keys.md",
)
BLOCK = re.compile(
    r"(?P<open><!-- generated: (?P<name>[a-z0-9-]+)[^\n]*-->\n)(?P<body>.*?)(?P<close><!-- end generated -->)",
    re.DOTALL,
)
# Which raw column each accepted-values list of macros/quality/quarantine_rules.sql classifies.
ACCEPTED_VALUE_COLUMNS: dict[str, tuple[str, str]] = {
    "video_status": ("videos", "status"),
    "video_category": ("videos", "video_category"),
    "channel_status": ("channels", "status"),
    "job_status": ("generation_jobs", "status"),
    "cost_category": ("video_costs", "cost_category"),
}
# Default schema and materialization of each model folder (dbt_project.yml `models:`).
MART_SCHEMA = "analytics"


@functools.lru_cache(maxsize=256)
def _parse_yaml(path: str, mtime_ns: int) -> Any:
    return yaml.safe_load(Path(path).read_text()) or {}


def _yaml(path: Path) -> Any:
    """A YAML file's content, parsed once per version of the file."""
    return _parse_yaml(str(path), path.stat().st_mtime_ns)


def _cell(text: object) -> str:
    """Text for one markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    return match.group(1) if match else text


# ----------------------------------------------------------------------------- raw tables


@dataclass(frozen=True)
class RawColumn:
    name: str
    type: str
    primary_key: bool
    default: str | None


def raw_tables() -> dict[str, list[RawColumn]]:
    """The raw tables and their columns as ytempire_ops/sql/raw_schema.sql creates them."""
    text = (PROJECT_DIR / "ytempire_ops" / "sql" / "raw_schema.sql").read_text()
    tables: dict[str, list[RawColumn]] = {}
    for match in re.finditer(r"create table if not exists \{schema\}\.(\w+) \((.*?)\n\);", text, re.DOTALL):
        columns = []
        for line in match.group(2).strip().splitlines():
            line = line.strip().rstrip(",")
            col = re.match(r"(\w+)\s+(.+?)(\s+primary key)?(\s+default\s+(.+))?$", line)
            if col is None:
                raise ValueError(f"raw_schema.sql: cannot read the column line {line!r}")
            type_ = re.sub(r",\s+", ",", col.group(2))
            columns.append(RawColumn(col.group(1), type_, bool(col.group(3)), col.group(5)))
        tables[match.group(1)] = columns
    return tables


def raw_indexes() -> list[tuple[str, str]]:
    text = (PROJECT_DIR / "ytempire_ops" / "sql" / "raw_schema.sql").read_text()
    return re.findall(r"create index if not exists \w+ on \{schema\}\.(\w+) \(([^)]*)\)", text)


def accepted_values() -> dict[tuple[str, str], list[str]]:
    """(table, column) -> the values the marts classify by; others are quarantined."""
    text = (PROJECT_DIR / "macros" / "quality" / "quarantine_rules.sql").read_text()
    out = {}
    for name, values in re.findall(r"'(\w+)':\s*\[([^\]]*)\]", text):
        if name in ACCEPTED_VALUE_COLUMNS:
            out[ACCEPTED_VALUE_COLUMNS[name]] = re.findall(r"'([^']*)'", values)
    return out


def sources() -> dict[str, dict[str, Any]]:
    """Raw table -> its source entry (plus `source`: the source's name) from the sources YAML."""
    out = {}
    for path in sorted((PROJECT_DIR / "models").rglob("*.yml")):
        doc = _yaml(path)
        for source in doc.get("sources") or []:
            for table in source.get("tables") or []:
                out[table["name"]] = {**table, "source": source["name"]}
    return out


def _freshness(entry: dict[str, Any]) -> str:
    fresh = entry.get("freshness")
    if not fresh:
        return "none"
    parts = []
    for level in ("warn_after", "error_after"):
        if level in fresh:
            parts.append(f"{level.split('_')[0]} after {fresh[level]['count']} {fresh[level]['period']}s")
    return ", ".join(parts) + f" (by `{entry.get('loaded_at_field', '?')}`)"


def render_raw_tables() -> str:
    srcs = sources()
    accepted = accepted_values()
    indexes: dict[str, list[str]] = {}
    for table, cols in raw_indexes():
        indexes.setdefault(table, []).append(f"({cols})")
    out = []
    for table, columns in raw_tables().items():
        entry = srcs.get(table, {})
        out.append(f"### raw.{table}\n")
        if entry:
            out.append(f"{' '.join(entry.get('description', '').split())}\n")
            out.append(f"dbt source `{entry['source']}.{table}`; freshness: {_freshness(entry)}.")
        if table in indexes:
            out[-1] += f" Indexes: {', '.join(indexes[table])}."
        out[-1] += "\n"
        rows = []
        for col in columns:
            notes = []
            if col.primary_key:
                notes.append("primary key")
            if col.default is not None:
                notes.append(f"default {col.default}")
            if (table, col.name) in accepted:
                values = ", ".join(f"'{v}'" for v in accepted[(table, col.name)])
                notes.append(f"one of {values} (others quarantined as unknown_value)")
            rows.append((col.name, col.type, "; ".join(notes)))
        out.append(_table(("column", "type", "notes"), rows))
    return "\n".join(out)


# ----------------------------------------------------------------------------- warehouse


def _project_config() -> dict[str, Any]:
    return _yaml(PROJECT_DIR / "dbt_project.yml")


def _models() -> list[tuple[Path, dict[str, Any]]]:
    """(yml path, model entry) for every model documented under models/."""
    out = []
    for path in sorted((PROJECT_DIR / "models").rglob("*.yml")):
        doc = _yaml(path)
        out += [(path, model) for model in doc.get("models") or []]
    return out


def _folder_config(folder: str, key: str) -> str | None:
    project = _project_config()
    models = project["models"][project["name"]]
    return (models.get(folder) or {}).get(f"+{key}")


def _materialization(path: Path, name: str) -> str:
    sql_files = list(path.parent.glob(f"{name}.sql"))
    if sql_files:
        match = re.search(r"materialized\s*=\s*['\"](\w+)['\"]", sql_files[0].read_text())
        if match:
            return match.group(1)
    folder = path.relative_to(PROJECT_DIR / "models").parts[0]
    return _folder_config(folder, "materialized") or "view"


def _schema(path: Path, model: dict[str, Any]) -> str:
    configured = (model.get("config") or {}).get("schema")
    folder = path.relative_to(PROJECT_DIR / "models").parts[0]
    return configured or _folder_config(folder, "schema") or "public"


def _split_grain(description: str) -> tuple[str, str]:
    text = " ".join(description.split())
    match = re.search(r"\s*Grain:\s*(.*)$", text)
    if not match:
        return text, ""
    return text[: match.start()].strip(), match.group(1).strip()


@dataclass(frozen=True)
class Relation:
    name: str
    schema: str
    materialized: str
    description: str
    grain: str
    contract: bool
    access: str
    columns: list[dict[str, Any]]


def relations() -> list[Relation]:
    out = []
    for path, model in _models():
        description, grain = _split_grain(model.get("description", ""))
        config = model.get("config") or {}
        out.append(
            Relation(
                name=model["name"],
                schema=_schema(path, model),
                materialized=_materialization(path, model["name"]),
                description=description,
                grain=grain,
                contract=bool((config.get("contract") or {}).get("enforced")),
                access=config.get("access") or model.get("access") or "protected",
                columns=model.get("columns") or [],
            )
        )
    return out


def warehouse_columns() -> dict[str, list[str]]:
    """Relation in analytics -> the column names the project documents for it."""
    return {r.name: [c["name"] for c in r.columns] for r in relations() if r.schema == MART_SCHEMA}


def render_schemas() -> str:
    by_schema: dict[str, list[Relation]] = {}
    for rel in relations():
        by_schema.setdefault(rel.schema, []).append(rel)
    rows = [(f"`{schema}`", len(rels), ", ".join(r.name for r in rels)) for schema, rels in by_schema.items()]
    snapshots = _yaml(PROJECT_DIR / "snapshots" / "_snapshots.yml")
    names = [s["name"] for s in snapshots.get("snapshots") or []]
    rows.append(("`snapshots`", len(names), ", ".join(names)))
    return _table(("schema", "relations", "names"), rows)


def render_relations() -> str:
    out = []
    for rel in relations():
        if rel.schema != MART_SCHEMA:
            continue
        facts = [f"materialized: {rel.materialized}", f"access: {rel.access}"]
        facts.append("contract enforced" if rel.contract else "contract not enforced")
        out.append(f"### {rel.schema}.{rel.name}\n")
        out.append(f"{rel.description}\n")
        out.append(f"**Grain:** {rel.grain or 'not stated'} ({'; '.join(facts)})\n")
        rows = [(c["name"], c.get("data_type", ""), str(c.get("description", ""))) for c in rel.columns]
        out.append(_table(("column", "type", "meaning"), rows))
    return "\n".join(out)


def render_working_layers() -> str:
    rows = [
        (rel.name, rel.schema, rel.materialized, rel.grain)
        for rel in relations()
        if rel.schema != MART_SCHEMA
    ]
    return _table(("relation", "schema", "materialized", "grain"), rows)


def render_exposures() -> str:
    rows = []
    for path in sorted((PROJECT_DIR / "models").rglob("*.yml")):
        doc = _yaml(path)
        for exposure in doc.get("exposures") or []:
            refs = re.findall(r"ref\(['\"](\w+)['\"]\)", " ".join(exposure.get("depends_on") or []))
            rows.append((exposure["name"], exposure.get("type", ""), ", ".join(refs)))
    return _table(("exposure", "type", "reads"), rows)


# ----------------------------------------------------------------------------- dbt vars


def dbt_vars() -> list[tuple[str, str, str]]:
    """(name, default, the comment above it) for every var of dbt_project.yml; one comment may cover several."""
    lines = (PROJECT_DIR / "dbt_project.yml").read_text().splitlines()
    out: list[tuple[str, str, str]] = []
    comment: list[str] = []
    after_var = False
    for line in lines[lines.index("vars:") + 1 :]:
        if line and not line.startswith(" "):
            break
        stripped = line.strip()
        if stripped.startswith("#"):
            if after_var:
                comment, after_var = [], False
            text = stripped.lstrip("#").strip()
            if not text.endswith("---"):
                comment.append(text)
            continue
        match = re.match(r"(\w+):\s*(.*)$", stripped)
        if match:
            out.append((match.group(1), match.group(2), " ".join(comment)))
            after_var = True
    return out


def render_vars() -> str:
    values = _yaml(PROJECT_DIR / "dbt_project.yml")["vars"]
    rows = []
    for name, _, comment in dbt_vars():
        value = values[name]
        shown = '`""` (the run\'s start)' if value == "" else f"`{value}`"
        rows.append((f"`{name}`", shown, comment))
    return _table(("var", "default", "meaning"), rows)


# ----------------------------------------------------------------------------- CLI


def _cli_commands() -> list[tuple[str, Any]]:
    """(path, click command) of every CLI command, the root first."""
    import typer

    from ytempire_ops import cli

    root = typer.main.get_command(cli.app)
    out: list[tuple[str, Any]] = []

    def walk(prefix: str, command: Any) -> None:
        out.append((prefix, command))
        for name, sub in getattr(command, "commands", {}).items():
            walk(f"{prefix} {name}", sub)

    walk("ytempire-ops", root)
    return out


_TYPE_NAMES = {
    "Path": "path",
    "str": "text",
    "string": "text",
    "int": "integer",
    "integer": "integer",
    "float": "number",
}


def _type_name(param: Any) -> str:
    """A CLI option's value type in words ("text", "integer", "number"; ", repeatable" for lists)."""
    click_type = getattr(param, "type", None)
    if click_type is not None and hasattr(click_type, "name"):
        name, repeatable = click_type.name.lower(), bool(param.multiple)
    else:
        annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
        repeatable = typing.get_origin(annotation) in (list, tuple)
        if repeatable:
            annotation = typing.get_args(annotation)[0]
        name = getattr(annotation, "__name__", str(annotation))
    name = _TYPE_NAMES.get(name, name)
    return f"{name}, repeatable" if repeatable else name


def _option_row(param: Any) -> tuple[str, str, str, str]:
    names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
    kind = "flag" if param.is_flag else _type_name(param)
    default = param.default
    shown = "" if default in (None, False, ()) or callable(default) else f"`{default}`"
    return names, kind, shown, param.help or ""


def render_cli() -> str:
    out = []
    for path, command in _cli_commands():
        if getattr(command, "hidden", False):
            continue
        help_text = " ".join((command.help or "").split("\n\n")[0].split())
        out.append(f"### `{path}`\n\n{help_text}\n")
        options = [
            _option_row(p)
            for p in command.params
            if p.param_type_name == "option"
            and p.name not in ("help", "install_completion", "show_completion")
        ]
        if options:
            out.append(_table(("option", "type", "default", "meaning"), options))
    return "\n".join(out)


def render_commands_summary() -> str:
    rows = []
    for path, command in _cli_commands():
        if path == "ytempire-ops" or command.hidden or hasattr(command, "commands"):
            continue
        rows.append((f"`{path.removeprefix('ytempire-ops ')}`", _first_sentence(command.help or "")))
    return _table(("command", "does"), rows)


def render_exit_codes() -> str:
    from ytempire_ops.errors import EXIT_CODES

    return _table(("code", "meaning"), EXIT_CODES)


# ----------------------------------------------------------------------------- Redis keys


def redis_contract() -> dict[str, Any]:
    """The dashboard keys' constants. The only import of the warm module here."""
    from ytempire_ops.warm import contract as warm

    return {
        "prefix": warm.DEFAULT_PREFIX,
        "refresh_interval": warm.DEFAULT_REFRESH_INTERVAL_SECONDS,
        "key_classes": warm.KEY_CLASSES,
        "class_ttls": warm.DEFAULT_CLASS_TTLS,
        "ttl_env_vars": warm.TTL_ENV_VARS,
        "payload_shapes": warm.PAYLOAD_SHAPES,
        "schema_version": warm.SCHEMA_VERSION,
    }


def render_redis_keys() -> str:
    contract = redis_contract()
    floor = 2 * contract["refresh_interval"]
    rows = []
    for key, ttl_class in contract["key_classes"].items():
        ttl = contract["class_ttls"][ttl_class]
        fields = ", ".join(contract["payload_shapes"][key])
        rows.append((f"`{key}`", ttl_class, f"{ttl:,} s", f"{max(ttl, floor):,} s", fields))
    keys = _table(
        ("key (after the prefix)", "TTL class", "class TTL", "effective TTL", "fields of `data`"), rows
    )
    ttl_rows = [
        (
            name,
            ", ".join(f"`{k}`" for k, c in contract["key_classes"].items() if c == name),
            f"{ttl:,} s",
            f"`{contract['ttl_env_vars'][name]}`",
        )
        for name, ttl in contract["class_ttls"].items()
    ]
    return (
        f"Prefix by default `{contract['prefix']}`; schema_version {contract['schema_version']}; the effective TTL "
        f"is max(class TTL, 2 \u00d7 the refresh interval), with the default interval of "
        f"{contract['refresh_interval']} s.\n\n"
        + keys
        + "\n"
        + _table(("class", "keys", "default", "variable"), ttl_rows)
    )


# ----------------------------------------------------------------------------- files

RENDERERS: dict[str, Callable[[], str]] = {
    "raw-tables": render_raw_tables,
    "schemas": render_schemas,
    "relations": render_relations,
    "working-layers": render_working_layers,
    "exposures": render_exposures,
    "dbt-vars": render_vars,
    "cli": render_cli,
    "cli-summary": render_commands_summary,
    "exit-codes": render_exit_codes,
    "redis-keys": render_redis_keys,
}


def render(text: str, rendered: dict[str, str] | None = None) -> str:
    """The text with every generated block replaced by its current content."""
    cache = {} if rendered is None else rendered

    def replace(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in RENDERERS:
            raise ValueError(f"unknown generated block {name!r}")
        if name not in cache:
            cache[name] = RENDERERS[name]()
        return match.group("open") + cache[name] + match.group("close")

    return BLOCK.sub(replace, text)


def regenerate() -> dict[Path, tuple[str, str]]:
    """path -> (committed text, regenerated text) for every documentation file with generated blocks."""
    cache: dict[str, str] = {}
    out = {}
    for name in DOC_FILES:
        path = PROJECT_DIR / name
        text = path.read_text()
        out[path] = (text, render(text, cache))
    return out


def stale_files() -> list[str]:
    return [str(p.relative_to(PROJECT_DIR)) for p, (old, new) in regenerate().items() if old != new]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate the contract documentation's generated parts.")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when a file is stale")
    args = parser.parse_args(argv)
    results = regenerate()
    stale = [p for p, (old, new) in results.items() if old != new]
    if args.check:
        if stale:
            names = ", ".join(str(p.relative_to(PROJECT_DIR)) for p in stale)
            print(
                f"stale generated documentation: {names}; run `{COMMAND}` and commit the result.",
                file=sys.stderr,
            )
            return 1
        print("generated documentation is up to date.")
        return 0
    for path in stale:
        path.write_text(results[path][1])
        print(f"rewrote {path.relative_to(PROJECT_DIR)}")
    if not stale:
        print("generated documentation is up to date.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
