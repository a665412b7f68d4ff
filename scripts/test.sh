#!/usr/bin/env bash
# Every test tier: unit (*Test), integration against a real kube-apiserver (*IT) and end-to-end
# (*E2E), formatting and dependency checks, then the run command itself until all samples are Ready
# and one virtual machine has deployed and started a system.
# With CI=true a missing prerequisite fails the run instead of skipping tests.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/prereqs.sh
export OSDEPLOY_IPXE_DIR="${OSDEPLOY_IPXE_DIR:-$(bash scripts/ipxe.sh | tail -1)}"
./mvnw -B verify "$@"
echo "[test] the run command, until every sample is Ready and a virtual machine runs its deployed system" >&2
env -u KUBECONFIG ./scripts/run.sh --until-ready 180 --vms 1
