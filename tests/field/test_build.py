"""The case format and its compiler: strict loading, snapshots s3why loads and the schema accepts."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from bot.account.snapshot import validate_snapshot
from bot.field.build import canonical_id, compile_account
from bot.field.case import CaseError, load_case

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).parent / "cases"


@pytest.mark.parametrize("path", sorted(CASES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_case_compiles_to_a_snapshot_the_schema_accepts(path: Path) -> None:
    snap = compile_account(load_case(path))
    schema = json.loads((ROOT / "docs" / "snapshot.schema.json").read_text())
    jsonschema.validate(snap, schema)
    assert validate_snapshot(snap) is snap


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


def test_an_unknown_field_fails_with_the_file_name_and_the_field(tmp_path: Path) -> None:
    good = (CASES / "tf-backend-state-kms-generatedatakey.yaml").read_text()
    bad = _write(
        tmp_path,
        "tf-backend-state-kms-generatedatakey",
        good.replace("  bucket:\n    name:", "  buckett:\n    name:", 1),
    )
    with pytest.raises(CaseError, match=r"tf-backend-state-kms-generatedatakey\.yaml: account\.buckett: Extra inputs"):
        load_case(bad)


def test_a_layer_that_is_not_a_contract_layer_is_refused(tmp_path: Path) -> None:
    good = (CASES / "tf-backend-state-kms-generatedatakey.yaml").read_text()
    bad = _write(tmp_path, "tf-backend-state-kms-generatedatakey", good.replace("layer: kms", "layer: key-policy"))
    with pytest.raises(CaseError, match=r"expected\.layer"):
        load_case(bad)


def test_the_id_must_be_the_file_name(tmp_path: Path) -> None:
    good = (CASES / "tf-backend-state-kms-generatedatakey.yaml").read_text()
    with pytest.raises(CaseError, match="must be the file name"):
        load_case(_write(tmp_path, "another-name", good))


def test_yaml_that_does_not_parse_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match=r"broken\.yaml: cannot read it as YAML"):
        load_case(_write(tmp_path, "broken", "id: [unclosed\n"))


def test_an_object_owned_by_another_account_has_that_accounts_canonical_id() -> None:
    case = load_case(CASES / "tf-backend-state-kms-generatedatakey.yaml")
    bucket = case.account.bucket
    assert bucket is not None and bucket.object is not None
    other = case.model_copy(
        update={
            "account": case.account.model_copy(
                update={
                    "bucket": bucket.model_copy(
                        update={"object": bucket.object.model_copy(update={"owner": "444455556666"})}
                    )
                }
            )
        }
    )
    obj = compile_account(other)["bucket"]["object"]["calls"]["GetObjectAcl"]
    assert obj["Owner"]["ID"] == canonical_id("444455556666") != canonical_id("111122223333")
