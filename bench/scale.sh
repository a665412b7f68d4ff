#!/usr/bin/env bash
# The operator at fleet scale against a real kube-apiserver and etcd: 10 OS images, 100
# distribution points, 1,000 deployments targeting 5,000 machines and 100 boot media, with the
# operator's jar running as in its pod and one stand-in node per distribution point. Measures the
# time to all Ready, create-to-Ready latency, reconcile timings, the operator's heap and RSS, its
# API requests while idle, and policy lookups on a distribution point. Prints a table, writes
# docs/benchmarks-scale.md and the scale section of docs/benchmarks.md. Takes about three minutes
# on two cores, two of them idle at the end while requests are counted; smaller fleets for a quick
# look:
#   bench/scale.sh [--deployments 1000] [--distribution-points 100] [--media 100] [--images 10]
#                  [--machines-each 5] [--idle-seconds 120] [--ready-timeout-seconds 1800]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# Boot media builds need xorriso, ISOLINUX and iPXE; the API server's binaries come with them.
OSDEPLOY_APT_PACKAGES="ipxe isolinux syslinux-common xorriso" bash scripts/prereqs.sh >/dev/null
export OSDEPLOY_IPXE_DIR="${OSDEPLOY_IPXE_DIR:-$(bash scripts/ipxe.sh | tail -1)}"
# One reactor build: the operator's jar, its test classes and the daemon's classes it uses, and
# the classpath, all from this tree (nothing installed into ~/.m2).
mvn -B -q -pl operator -am package dependency:build-classpath -DskipTests -Dspotless.check.skip \
  -Dmdep.outputFile=target/classpath.txt >&2
cd operator
java -cp "target/test-classes:target/classes:$(cat target/classpath.txt)" \
  io.osdeploy.operator.bench.ScaleBench --samples ../samples --report ../docs/benchmarks-scale.md \
  --page ../docs/benchmarks.md --command "bench/scale.sh${*:+ $*}" "$@"
