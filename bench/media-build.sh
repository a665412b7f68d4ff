#!/usr/bin/env bash
# Boot media build time and size. Prints a table and writes docs/benchmarks-media.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/prereqs.sh >/dev/null
export OSDEPLOY_IPXE_DIR="${OSDEPLOY_IPXE_DIR:-$(bash scripts/ipxe.sh | tail -1)}"
mvn -B -q install -DskipTests -Dspotless.check.skip -pl model,transfer,multicast-daemon >&2
mvn -B -q -f operator/pom.xml test-compile -Dspotless.check.skip >&2
cpfile="$(mktemp)"
mvn -B -q -f operator/pom.xml dependency:build-classpath -Dmdep.outputFile="$cpfile" >&2
cp="$(cat "$cpfile")"
rm -f "$cpfile"
java -cp "operator/target/test-classes:operator/target/classes:$cp" \
  io.osdeploy.operator.bench.MediaBuildBench docs/benchmarks-media.md "${1:-50}"
