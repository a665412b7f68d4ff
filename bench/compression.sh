#!/usr/bin/env bash
# Compressed images benchmark: a half-empty disk image (IMAGE_MIB, half random data and half zeros
# in 64 MiB runs) fetched from a real distribution point daemon by `osdeploy-daemon receive`, the
# agent's path, as it is and compressed with zstd (OSImage compression Zstd): by unicast (the
# compressed one streamed through the decompressor) and by multicast (the compressed one staged at
# the target's end, then expanded). Two network namespaces on a veth pair, the daemon's side capped
# at LINK_MBIT with tbf. Prints the table and writes its section of docs/benchmarks.md.
# Needs root, iproute2, zstd, python3.
#   bench/compression.sh [IMAGE_MIB] [LINK_MBIT]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
size_mib="${1:-2048}"
link_mbit="${2:-1000}"

if [[ $(id -u) -eq 0 ]]; then
  OSDEPLOY_APT_PACKAGES="iproute2 zstd python3 curl" bash scripts/prereqs.sh >/dev/null
fi
for tool in ip tc zstd python3 curl; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install iproute2 zstd python3)" >&2; exit 1; }
done
[[ $(id -u) -eq 0 ]] || { echo "needs root (network namespaces)" >&2; exit 1; }

mvn -B -q -o -pl model,transfer install -DskipTests -Dspotless.check.skip >&2
mvn -B -q -o -pl multicast-daemon test-compile -Dspotless.check.skip >&2
cpfile="$(mktemp)"
mvn -B -q -pl multicast-daemon dependency:build-classpath -Dmdep.outputFile="$cpfile" >&2
cp="multicast-daemon/target/test-classes:multicast-daemon/target/classes:$(cat "$cpfile")"
rm -f "$cpfile"

work="$(mktemp -d /tmp/osd-zbench.XXXXXX)"
prefix="osdz-$RANDOM"
daemon_pid=""
source_pid=""
cleanup() {
  if [[ -n $daemon_pid ]]; then kill "$daemon_pid" 2>/dev/null; wait "$daemon_pid" 2>/dev/null || true; fi
  if [[ -n $source_pid ]]; then kill "$source_pid" 2>/dev/null; wait "$source_pid" 2>/dev/null || true; fi
  ip netns del "$prefix-s" 2>/dev/null || true
  ip netns del "$prefix-r" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$prefix-s"
ip netns add "$prefix-r"
ip -n "$prefix-s" link add eth0 type veth peer name eth0 netns "$prefix-r"
for ns in s r; do
  ip -n "$prefix-$ns" link set lo up
  ip -n "$prefix-$ns" link set eth0 up
  ip -n "$prefix-$ns" route add 224.0.0.0/4 dev eth0
done
ip -n "$prefix-s" addr add 10.215.0.1/24 dev eth0
ip -n "$prefix-r" addr add 10.215.0.2/24 dev eth0
ip netns exec "$prefix-s" tc qdisc add dev eth0 root tbf rate "${link_mbit}mbit" burst 256kb latency 200ms

# The image: 64 MiB runs, random and zero in turn, as a disk half full of files.
image="$work/disk.img"
truncate -s "$((size_mib << 20))" "$image"
for ((i = 0; i < size_mib / 64; i += 2)); do
  dd if=/dev/urandom of="$image" bs=1M count=64 seek=$((i * 64)) conv=notrunc status=none
done
zstd -q -T0 -f "$image" -o "$image.zst"
sha="$(sha256sum "$image" | cut -d' ' -f1)"
zsha="$(sha256sum "$image.zst" | cut -d' ' -f1)"
bytes=$(stat -c %s "$image")
zbytes=$(stat -c %s "$image.zst")

ip netns exec "$prefix-s" python3 -m http.server 8000 --bind 10.215.0.1 --directory "$work" \
  >"$work/source.log" 2>&1 &
source_pid=$!
java=(java -Xmx512m -XX:+UseSerialGC -cp "$cp")
mac="52:54:00:00:be:01"
token="$("${java[@]}" io.osdeploy.daemon.testing.TestTokenKeys "$work/keys" "$mac" disk disk-zst)"
echo "$token" >"$work/token"

start_daemon() { # $1 "true" to allow multicast
  [[ -n $daemon_pid ]] && { kill "$daemon_pid"; wait "$daemon_pid" 2>/dev/null || true; }
  cat >"$work/daemon.json" <<JSON
{"namespace": "bench", "distributionPoint": "bench", "generation": 1, "contentPath": "/unused",
 "httpPort": 9080,
 "images": [
  {"name": "disk", "url": "http://10.215.0.1:8000/disk.img", "sha256": "$sha", "sizeBytes": $bytes,
   "multicast": {"allowed": $1}},
  {"name": "disk-zst", "url": "http://10.215.0.1:8000/disk.img.zst", "sha256": "$zsha",
   "sizeBytes": $zbytes, "multicast": {"allowed": $1}}],
 "multicast": {"enabled": true,
   "addressRange": {"start": "239.215.0.1", "end": "239.215.0.9"},
   "portRange": {"start": 42000, "end": 42009},
   "sessionStart": {"minClients": 1, "maxWaitSeconds": 5},
   "maxRateMbps": $((link_mbit * 92 / 100))}}
JSON
  ip netns exec "$prefix-s" env -u KUBERNETES_SERVICE_HOST -u KUBECONFIG "${java[@]}" \
    io.osdeploy.daemon.Main --config "$work/daemon.json" --node bench --http-port 9080 \
    --content-path "$work/content" --advertise-address 10.215.0.1 --token-keys "$work/keys" \
    >>"$work/daemon.log" 2>&1 &
  daemon_pid=$!
  for name in disk disk-zst; do
    until ip netns exec "$prefix-r" curl -sf -o /dev/null -I -H "Authorization: Bearer $token" \
      "http://10.215.0.1:9080/content/$name"; do
      kill -0 "$daemon_pid" || { cat "$work/daemon.log" >&2; exit 1; }
      sleep 1
    done
  done
}

tx() { ip -s -j -n "$prefix-s" link show dev eth0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["tx"]["bytes"])'; }
now() { date +%s.%N; }
results="$work/results.tsv"
: >"$results"
run() { # $1 route label, $2 image name, $3.. extra receive flags
  local route=$1 name=$2; shift 2
  rm -f "$work/out.img"
  local before t0 t1 after ok
  before=$(tx)
  t0=$(now)
  if ip netns exec "$prefix-r" "${java[@]}" io.osdeploy.daemon.Main receive \
    --server http://10.215.0.1:9080 --image "$name" --out "$work/out.img" --client "$mac" \
    --token-file "$work/token" --interface eth0 "$@" >"$work/receive.log" 2>&1 &&
    [[ $(sha256sum "$work/out.img" | cut -d' ' -f1) == "$sha" ]]; then ok=y; else ok=n; fi
  t1=$(now)
  after=$(tx)
  local line
  line=$(python3 -c "print(f'$route\t$name\t{$t1 - $t0:.1f}\t{($after - $before) / 2**20:.0f}\t{($after - $before) / $bytes:.3f}\t$ok')")
  echo "$line" | tr '\t' ' ' >&2
  grep -h "verified" "$work/receive.log" >&2 || tail -5 "$work/receive.log" >&2
  echo "$line" >>"$results"
}

start_daemon false
run unicast disk
run unicast disk-zst --zstd "$sha:$bytes"
start_daemon true
run multicast disk
run multicast disk-zst --zstd "$sha:$bytes" --compressed-bytes "$zbytes"

section="$work/section.md"
{
  echo "## Compressed images"
  echo
  echo "Measured by \`bench/compression.sh $size_mib $link_mbit\` on $(date -u +%Y-%m-%d), $(nproc) CPU cores."
  echo "A ${size_mib} MiB disk image, 64 MiB runs of random data and of zeros in turn (half empty),"
  echo "as it is and compressed with \`zstd -T0\` (level 3: $((zbytes >> 20)) MiB). A distribution point daemon serves"
  echo "both; \`osdeploy-daemon receive\` (the agent's path) fetches each into a file, by unicast (the"
  echo "compressed one streamed through the decompressor) and by multicast (the compressed one staged"
  echo "at the file's end, then expanded). Two network namespaces on a veth pair, the daemon's side"
  echo "capped at ${link_mbit} Mbit/s with tbf. Time includes the receiver JVM's start and, for the"
  echo "compressed image, its expansion; wire is what the daemon's veth sent (Ethernet frames)."
  echo "Verified: the written file has the uncompressed image's SHA-256."
  echo
  echo "| Route | Image | Time (s) | Wire (MiB) | Wire / image | Verified |"
  echo "|---|---|---:|---:|---:|---|"
  while IFS=$'\t' read -r route name time mib copies ok; do
    label=$name; [[ $name == disk-zst ]] && label="Zstd"; [[ $name == disk ]] && label="uncompressed"
    echo "| $route | $label | $time | $mib | $copies | $ok |"
  done <"$results"
} >"$section"
cat "$section"
python3 - "$section" docs/benchmarks.md <<'PY'
import re, sys
section = open(sys.argv[1]).read().rstrip() + "\n"
path = sys.argv[2]
text = open(path).read() if __import__("os").path.exists(path) else ""
pattern = re.compile(r"^## Compressed images\n.*?(?=^## |\Z)", re.S | re.M)
text = pattern.sub(lambda m: section + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + section
open(path, "w").write(text)
PY
echo "wrote the compressed images section of docs/benchmarks.md" >&2
