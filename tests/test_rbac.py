"""`nautiform rbac` writes its Role from rbac.py's one table, never with a PVC delete (the live test of
the account is tests/cluster/test_deploy_account.py)."""
from __future__ import annotations

import pytest
import yaml

from nautiform import rbac
from nf_testlib import ROOT, nautiform


def granted(rules: list[dict]) -> set[tuple[str, str]]:
    out = set()
    for rule in rules:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                out |= {(verb, f"{resource}.{group}" if group else resource) for verb in rule["verbs"]}
    return out


def test_the_role_is_exactly_the_table():
    docs = list(yaml.safe_load_all(nautiform("rbac", "--out", str(ROOT / "generated")).out))
    assert [d["kind"] for d in docs] == ["ServiceAccount", "Role", "RoleBinding", "Secret"]
    assert {d["metadata"]["namespace"] for d in docs} == {"vision-lab"}
    role = docs[1]
    assert granted(role["rules"]) == rbac.everything()
    assert not {v for v, r in granted(role["rules"]) if r == "persistentvolumeclaims"} & {"delete", "deletecollection", "*"}
    every_action = {a for pairs in rbac.FOR_ACTION.values() for a in pairs}
    assert every_action | set(rbac.ALWAYS) <= granted(role["rules"])  # what apply --dry-run asks for
    assert docs[2]["roleRef"]["name"] == role["metadata"]["name"] == docs[2]["subjects"][0]["name"]
    assert docs[3]["type"] == "kubernetes.io/service-account-token"


def test_a_table_that_would_delete_volumes_is_refused(monkeypatch):
    monkeypatch.setitem(rbac.FOR_COMMAND, "oops", [("delete", "persistentvolumeclaims")])
    with pytest.raises(ValueError, match="must never allow"):
        rbac.role_rules()


def test_options_and_errors(tmp_path):
    run = nautiform("rbac", "--namespace", "lab", "--name", "ci", "--no-token-secret", cwd=tmp_path)
    assert run.code == 0
    assert [d["kind"] for d in yaml.safe_load_all(run.out)] == ["ServiceAccount", "Role", "RoleBinding"]
    assert run.out == nautiform("rbac", "--namespace", "lab", "--name", "ci", "--no-token-secret", cwd=tmp_path).out
    missing = nautiform("rbac", cwd=tmp_path)
    assert missing.code == 1 and missing.err.startswith("error: generated/: ") and "nautiform compile" in missing.err
