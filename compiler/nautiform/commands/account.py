"""`nautiform rbac`: the deploy job's own account, with exactly the verbs nautiform needs.

NRP's documented CI setup binds a ServiceAccount to the `admin` ClusterRole: a deploy job that could
delete every volume of the namespace. This writes a ServiceAccount, a Role whose rules are `rbac.py`'s
table (never a PVC delete) and their RoleBinding, plus a token Secret that the cluster fills in, from
which the README builds the File-type `KUBECONFIG` CI variable. Apply it once, as yourself.
"""
from __future__ import annotations

import sys
from pathlib import Path

from .. import rbac
from ..emit import dump
from ..owner import MANAGED_BY

HEADER = """\
# nautiform's deploy account in namespace {namespace}, written by `nautiform rbac`: a Role with exactly
# the verbs nautiform uses (and no delete on PersistentVolumeClaims). Apply it once as yourself:
#   nautiform rbac | kubectl apply -f -
# then make the File-type CI variable KUBECONFIG from the token Secret (README: "The deploy account").
"""


def objects(namespace: str, name: str, token_secret: bool) -> list[dict]:
    meta = {"name": name, "namespace": namespace, "labels": {MANAGED_BY: "nautiform"}}
    docs: list[dict] = [{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta,
             "rules": rbac.role_rules()},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta,
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
             "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": namespace}]}]
    if token_secret:  # a long-lived token the token controller fills in (`kubectl create token` expires)
        docs.append({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
                     "metadata": {**meta, "name": f"{name}-token",
                                  "annotations": {"kubernetes.io/service-account.name": name}}})
    return docs


def rbac_command(out: Path, name: str, namespace: str | None, token_secret: bool) -> int:
    from .apply import load

    if namespace is None:
        tree = load(out)
        if tree is None:
            return 1
        namespace = tree.namespace
    text = HEADER.format(namespace=namespace)
    text += "".join("---\n" + dump(d) for d in objects(namespace, name, token_secret))
    sys.stdout.write(text)
    return 0
