#!/usr/bin/env bash
# The main job: the operator, on a local kube-apiserver + etcd with samples/ applied when no
# KUBECONFIG is set, or against the cluster in KUBECONFIG. Shows the resources' status live.
# Options are passed to the operator's run command (e.g. --until-ready 120).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/prereqs.sh
export OSDEPLOY_IPXE_DIR="${OSDEPLOY_IPXE_DIR:-$(bash scripts/ipxe.sh | tail -1)}"
if [[ ! -f operator/target/osdeploy-operator.jar || -n "$(find model transfer multicast-daemon agent operator pom.xml -newer operator/target/osdeploy-operator.jar -type f -not -path '*/target/*' | head -1)" ]]; then
  echo "[run] building the operator ..." >&2
  ./mvnw -B -q install -DskipTests -Dspotless.check.skip >&2
fi
# --vms N: virtual machines boot the built media; they need the boot environment (served by the
# local daemons) and the small system they deploy, both built by boot-environment/ and cached.
for arg in "$@"; do
  if [[ "$arg" == "--vms" ]]; then
    echo "[run] building the boot environment and the test system for --vms ..." >&2
    export OSDEPLOY_BOOT_ENVIRONMENT="${OSDEPLOY_BOOT_ENVIRONMENT:-$(bash boot-environment/build.sh | tail -1)}"
    mkdir -p "$HOME/.osdeploy/local"
    image="$HOME/.osdeploy/local/test-system.img"
    if [[ ! -f "$image" || boot-environment/test-system.sh -nt "$image" || boot-environment/packages.env -nt "$image" ]]; then
      bash boot-environment/test-system.sh "$HOME/.osdeploy/local/test-system.img"
    fi
    export OSDEPLOY_TEST_SYSTEM="$HOME/.osdeploy/local/test-system.img"
  fi
done
exec java -jar operator/target/osdeploy-operator.jar run "$@"
