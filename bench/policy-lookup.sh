#!/usr/bin/env bash
# Policy lookups per second with 1,000 deployments and 5,000 machines. Prints a table and writes
# docs/benchmarks-policy.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mvn -B -q -pl model,transfer,multicast-daemon -am test-compile -Dspotless.check.skip >&2
mvn -B -q -pl model,transfer install -DskipTests -Dspotless.check.skip >&2
cpfile="$(mktemp)"
mvn -B -q -pl multicast-daemon dependency:build-classpath -Dmdep.outputFile="$cpfile" >&2
cp="$(cat "$cpfile")"
rm -f "$cpfile"
java -cp "multicast-daemon/target/test-classes:multicast-daemon/target/classes:$cp" \
  io.osdeploy.daemon.bench.PolicyLookupBench docs/benchmarks-policy.md
