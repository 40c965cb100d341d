"""The contract documentation (docs/contract/, README.md, docs/redis_keys.md) against its sources.

No database and no stack: the generator reads the DDL, the dbt YAML, the CLI and the warm module's
constants. The last test compares the project's contract with the upstream specification when a
`shared/spec` directory sits beside the clone, and says it skipped when it does not.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from conftest import raw_columns_of

PROJECT_DIR = Path(__file__).resolve().parents[2]
GENERATOR = PROJECT_DIR / "scripts" / "generate_contract_docs.py"
# The upstream specification the project was built from, when it sits beside the clone.
UPSTREAM_SPEC = PROJECT_DIR.parent / "shared" / "spec"
THIS_FILE = Path(__file__).resolve().relative_to(PROJECT_DIR).as_posix()


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_contract_docs", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    return load_generator()


# ----------------------------------------------------------------------------- freshness


def test_committed_docs_match_their_sources(gen: ModuleType) -> None:
    stale = gen.stale_files()
    assert not stale, (
        f"generated documentation is stale: {', '.join(stale)}; run `{gen.COMMAND}` and commit the result"
    )


def test_every_doc_file_has_its_generated_blocks(gen: ModuleType) -> None:
    found: set[str] = set()
    for name in gen.DOC_FILES:
        text = (PROJECT_DIR / name).read_text()
        names = [m.group("name") for m in gen.BLOCK.finditer(text)]
        assert names, f"{name} has no generated block"
        assert text.count("<!-- generated:") == len(names), f"{name} has an unclosed generated block"
        found.update(names)
    assert found == set(gen.RENDERERS), "every renderer fills a block somewhere, and only known blocks exist"


def test_check_names_a_stale_file_and_the_command_then_the_generator_fixes_it(
    gen: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A copy of what the generator reads, so the repository is not touched.
    for part in ("models", "snapshots", "docs", "macros/quality", "ytempire_ops/sql"):
        shutil.copytree(PROJECT_DIR / part, tmp_path / part)
    for name in ("README.md", "dbt_project.yml"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    monkeypatch.setattr(gen, "PROJECT_DIR", tmp_path)
    assert gen.main(["--check"]) == 0

    # The DDL gains a column: the raw tables page is stale until regenerated.
    ddl = tmp_path / "ytempire_ops" / "sql" / "raw_schema.sql"
    ddl.write_text(ddl.read_text().replace("    email text,\n", "    email text,\n    locale text,\n"))
    capsys.readouterr()
    assert gen.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "docs/contract/raw_tables.md" in err and gen.COMMAND in err
    assert "README.md" not in err

    assert gen.main([]) == 0
    page = (tmp_path / "docs" / "contract" / "raw_tables.md").read_text()
    assert ("locale", "text") in raw_columns_of(page)["users"]
    # Hand-written prose outside the markers is kept.
    assert "## Keys, duplicates and late rows" in page
    assert gen.main(["--check"]) == 0


def test_an_unknown_block_name_is_an_error(gen: ModuleType) -> None:
    with pytest.raises(ValueError, match="unknown generated block 'no-such-block'"):
        gen.render("<!-- generated: no-such-block -->\nold\n<!-- end generated -->\n")


# ----------------------------------------------------------------------------- content


def test_raw_tables_page_is_the_ddl(gen: ModuleType) -> None:
    documented = raw_columns_of((PROJECT_DIR / "docs" / "contract" / "raw_tables.md").read_text())
    ddl = {t: [(c.name, c.type) for c in cols] for t, cols in gen.raw_tables().items()}
    assert len(ddl) == 8
    assert documented == ddl


def test_every_relation_in_analytics_states_its_grain(gen: ModuleType) -> None:
    relations = [r for r in gen.relations() if r.schema == gen.MART_SCHEMA]
    assert {"dim_video", "fact_video_performance", "mart_alerts"} <= {r.name for r in relations}
    assert [r.name for r in relations if not r.grain] == []
    page = (PROJECT_DIR / "docs" / "contract" / "warehouse.md").read_text()
    for rel in relations:
        assert f"### analytics.{rel.name}\n" in page


def test_every_payload_field_is_described_under_its_key(gen: ModuleType) -> None:
    """docs/redis_keys.md explains, under each key's heading, every field the warm publishes."""
    text = (PROJECT_DIR / "docs" / "redis_keys.md").read_text()
    shapes = gen.redis_contract()["payload_shapes"]
    missing = []
    for key, shape in shapes.items():
        section = text.split(f"### `{key}`", 1)[1].split("\n### ", 1)[0]
        missing += [f"{key}: {field}" for field in shape if not re.search(rf"\b{field}\b", section)]
    assert missing == []


def test_exit_codes_are_the_cli_constants() -> None:
    from ytempire_ops import errors

    codes = [code for code, _ in errors.EXIT_CODES]
    assert codes == sorted(set(codes))
    named = {v for k, v in vars(errors).items() if k.startswith("EXIT_") and isinstance(v, int)}
    assert set(codes) == named


def test_no_file_refers_to_a_directory_beside_the_clone() -> None:
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    offenders = []
    for name in files:
        if name == THIS_FILE:
            continue
        try:
            text = (PROJECT_DIR / name).read_text()
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue
        if re.search(r"\.\./shared|shared/spec|shared/style", text):
            offenders.append(name)
    assert offenders == []


# ----------------------------------------------------------------------------- upstream (optional)


def upstream_consumer_columns(text: str, categories: list[str]) -> dict[str, list[str]]:
    """The upstream's "Columns consumers rely on": relation -> column names."""
    section = text.split("## Columns consumers rely on", 1)[1].split("\n## ", 1)[0]
    out: dict[str, list[str]] = {}
    for line in section.splitlines():
        match = re.match(r"- (\w+): (.*)$", line)
        if not match:
            continue
        names = match.group(2).split(" — ")[0]
        columns = []
        for item in names.split(","):
            word = re.match(r"\s*([a-z_0-9]+)", item)
            if word and word.group(1) != "plus":
                columns.append(word.group(1))
            elif "per cost category" in item:
                columns += [f"{category}_cost_cents" for category in categories]
        out[match.group(1)] = columns
    return out


def test_matches_the_upstream_contract_beside_the_clone(gen: ModuleType) -> None:
    raw_spec, warehouse_spec = UPSTREAM_SPEC / "raw_contract.md", UPSTREAM_SPEC / "warehouse_contract.md"
    if not (raw_spec.exists() and warehouse_spec.exists()):
        pytest.skip(f"{UPSTREAM_SPEC} is not beside the clone; comparison skipped")
    raw_page = (PROJECT_DIR / "docs" / "contract" / "raw_tables.md").read_text()
    upstream_raw = raw_spec.read_text()

    # Raw tables: the same tables, columns and types, in the same order.
    assert raw_columns_of(raw_page) == raw_columns_of(upstream_raw)

    # Enumerated values: the checked ones (generated) and the passed-through ones (hand-written).
    upstream_values: dict[tuple[str, str], set[str]] = {}
    current = None
    for line in upstream_raw.splitlines():
        heading = re.match(r"^## raw\.(\w+)", line)
        current = heading.group(1) if heading else current
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if current and line.startswith("|") and len(cells) == 3 and cells[2].startswith("'"):
            upstream_values[(current, cells[0])] = set(re.findall(r"'([^']*)'", cells[2]))
    documented = {key: set(values) for key, values in gen.accepted_values().items()}
    for line in raw_page.splitlines():
        row = re.match(r"^\| (\w+)\.(\w+) \| ('.*) \|$", line)
        if row:
            documented[(row.group(1), row.group(2))] = set(re.findall(r"'([^']*)'", row.group(3)))
    assert documented == upstream_values

    # Warehouse: every relation the upstream names is documented with the columns it lists.
    categories = gen.accepted_values()[("video_costs", "cost_category")]
    upstream = upstream_consumer_columns(warehouse_spec.read_text(), categories)
    ours = gen.warehouse_columns()
    assert len(upstream) >= 15
    missing = {
        relation: sorted(set(columns) - set(ours.get(relation, []))) for relation, columns in upstream.items()
    }
    assert {r: c for r, c in missing.items() if c} == {}
    assert set(upstream) <= set(ours)
