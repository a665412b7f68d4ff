#!/usr/bin/env bash
# The main job: the operator, on a local kube-apiserver + etcd with samples/ applied when no
# KUBECONFIG is set, or against the cluster in KUBECONFIG. Shows the resources' status live.
# Options are passed to the operator's run command (e.g. --until-ready 120).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/prereqs.sh
export OSDEPLOY_IPXE_DIR="${OSDEPLOY_IPXE_DIR:-$(bash scripts/ipxe.sh | tail -1)}"
if [[ ! -f operator/target/osdeploy-operator.jar || -n "$(find model multicast-daemon agent operator pom.xml -newer operator/target/osdeploy-operator.jar -type f -not -path '*/target/*' | head -1)" ]]; then
  echo "[run] building the operator ..." >&2
  mvn -B -q install -DskipTests -Dspotless.check.skip >&2
fi
exec java -jar operator/target/osdeploy-operator.jar run "$@"
