#!/usr/bin/env bash
# Multicast benchmark: one sender namespace, N receiver namespaces on a Linux bridge (in its own
# namespace), the sender's link capped with tbf so figures are link-bound. For each receiver count
# and loss rate, sends one random image with osdeploy's sender, udpcast, UFTP and plain HTTP
# (curl from every receiver in parallel); then, with the link uncapped, the receiver counts in
# UNCAPPED_COUNTS at no loss. Prints each row and writes its section of docs/benchmarks.md (table
# and the targets met or not; the rest of the file is kept) and docs/benchmarks-multicast.png.
# Needs root, iproute2, ethtool, nftables, udpcast, uftp, curl, python3; takes about 40 minutes
# with the defaults on two cores.
# osdeploy's receivers and sender are up before the clock starts (receivers waiting for their
# tickets as booted agents do, the sender with the image's sections digested as a distribution
# point's daemon is), so its times, like those of udpcast and UFTP, start at the session.
# Every sender and receiver process runs under /usr/bin/time, so each row also has the sender's and
# the receivers' CPU seconds (user + system). The uncapped runs use each size in UNCAPPED_MIB: the
# 1 MiB run is mostly start-up, the 1 GiB run mostly per-byte cost, and the two tell them apart.
#   bench/multicast.sh [IMAGE_MIB] [LINK_MBIT] [RECEIVER_COUNTS] [LOSS_PERMILLE_LIST] [UNCAPPED_COUNTS] [UNCAPPED_MIB]
# BENCH_TOOLS (default "osdeploy udpcast uftp http") picks the senders compared; BENCH_KEEP=1 keeps
# the work directory (logs, and what BENCH_JAVA_OPTS wrote there) and prints its path.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
size_mib="${1:-256}"
link_mbit="${2:-200}"
counts="${3-1 2 4 8}"
losses="${4-0 10 50}"
uncapped_counts="${5-1 8}"
uncapped_sizes="${6-1 1024}"
tools="${BENCH_TOOLS:-osdeploy udpcast uftp http}"
# Our pacer and udpcast/UFTP rate caps count IP bytes; tbf counts Ethernet frames: stay under it.
capped_send_mbit=$((link_mbit * 92 / 100))
send_mbit=$capped_send_mbit

if [[ $(id -u) -eq 0 ]]; then
  OSDEPLOY_APT_PACKAGES="iproute2 ethtool nftables udpcast uftp curl python3 time" bash scripts/prereqs.sh >/dev/null
fi
for tool in ip ethtool nft tc udp-sender udp-receiver uftp uftpd curl python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install iproute2 ethtool nftables udpcast uftp curl)" >&2; exit 1; }
done
[[ $(id -u) -eq 0 ]] || { echo "needs root (network namespaces)" >&2; exit 1; }

mvn -B -q -o -pl model,transfer install -DskipTests -Dspotless.check.skip >&2
mvn -B -q -o -pl multicast-daemon test-compile -Dspotless.check.skip >&2
cpfile="$(mktemp)"
mvn -B -q -pl multicast-daemon dependency:build-classpath -Dmdep.outputFile="$cpfile" >&2
cp="multicast-daemon/target/test-classes:multicast-daemon/target/classes:$(cat "$cpfile")"
rm -f "$cpfile"

work="$(mktemp -d /tmp/osd-bench.XXXXXX)"
prefix="osdb-$RANDOM"
nslist=()
cleanup() {
  for ns in "${nslist[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  nslist=()
}
if [[ -n ${BENCH_KEEP:-} ]]; then
  trap 'cleanup; echo "kept $work" >&2' EXIT
else
  trap 'cleanup; rm -rf "$work"' EXIT
fi

topology() { # $1 receivers, $2 loss per mille, $3 "capped" or "uncapped"
  cleanup
  local br="$prefix-br"
  ip netns add "$br"; nslist+=("$br")
  ip -n "$br" link add br0 type bridge mcast_snooping 0
  ip -n "$br" link set br0 up
  local host=1
  for name in s $(seq -f 'r%g' 1 "$1"); do
    local ns="$prefix-$name"
    ip netns add "$ns"; nslist+=("$ns")
    ip -n "$br" link add "p-$name" type veth peer name eth0 netns "$ns"
    ip -n "$br" link set "p-$name" master br0 up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "10.214.0.$host/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route add 224.0.0.0/4 dev eth0
    if [[ $name == s ]]; then
      # A veth passes a UDP GSO write on as one packet, so the receivers' loss rule would drop a
      # whole batch of datagrams at once. A NIC puts each datagram on the wire as a frame of its
      # own, and a LAN loses frames: segment here, as the kernel does for a NIC without UDP
      # segmentation offload.
      ip netns exec "$ns" ethtool -K eth0 tx-udp-segmentation off >/dev/null
    fi
    if [[ $name != s && $2 -gt 0 ]]; then
      ip netns exec "$ns" nft add table inet loss
      ip netns exec "$ns" nft 'add chain inet loss in { type filter hook input priority 0 ; }'
      ip netns exec "$ns" nft "add rule inet loss in ip daddr 224.0.0.0/4 numgen random mod 1000 < $2 counter drop"
    fi
    host=$((host + 1))
  done
  if [[ $3 == capped ]]; then
    ip netns exec "$prefix-s" tc qdisc add dev eth0 root tbf rate "${link_mbit}mbit" burst 256kb latency 200ms
  fi
}

tx() { ip -s -j -n "$prefix-s" link show dev eth0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["tx"]["bytes"])'; }
now() { date +%s.%N; }

image="$work/image.bin"
make_image() { # $1 MiB
  head -c "$(($1 << 20))" /dev/urandom >"$image"
  sha="$(sha256sum "$image" | cut -d' ' -f1)"
  bytes=$(($1 << 20))
  image_mib=$1
}
# BENCH_JAVA_OPTS adds JVM options to our senders and receivers (a profiler, a transport to compare).
# shellcheck disable=SC2206
java=(java -Xmx256m -XX:+UseSerialGC ${BENCH_JAVA_OPTS:-} -cp "$cp" io.osdeploy.daemon.multicast.NetnsNode)
# Put before a command, then a file: that file gets the command's "user system" CPU seconds.
timed=(/usr/bin/time -f '%U %S' -o)
cpu() { # the CPU seconds in the files given, summed; files a killed run left empty count 0
  python3 -c 'import sys; print(f"{sum(sum(map(float, (open(f).read().split()[-2:] or [0]))) for f in sys.argv[1:]):.2f}")' "$@"
}

check() { # $1 receivers, $2.. output path pattern with %s for the receiver name
  local ok=y
  for i in $(seq 1 "$1"); do
    local f
    f="$(printf "$2" "r$i")"
    [[ -f $f && $(sha256sum "$f" | cut -d' ' -f1) == "$sha" ]] || ok=n
  done
  echo "$ok"
}

run_osdeploy() { # $1 receivers
  local d="$work/osd"; rm -rf "$d"; mkdir -p "$d"
  local pids=()
  for i in $(seq 1 "$1"); do
    ip netns exec "$prefix-r$i" "${timed[@]}" "$d/r$i.cpu" "${java[@]}" receive "$d" "r$i" >"$d/r$i.log" 2>&1 & pids+=($!)
  done
  # Receivers' JVMs up and polling for their tickets, as a booted agent would be.
  for i in $(seq 1 "$1"); do
    for _ in $(seq 1 600); do [[ -e $d/r$i.waiting ]] && break; sleep 0.1; done
  done
  local clients; clients="$(seq -f 'r%g' 1 "$1" | tr '\n' ' ')"
  # The sender too is up, with the image's sections digested, before the clock starts, as a
  # distribution point's daemon is when machines boot; it starts joining them on $d/go.
  # shellcheck disable=SC2086
  ip netns exec "$prefix-s" env OSDEPLOY_SEND_ON="$d/go" "${timed[@]}" "$d/s.cpu" "${java[@]}" send "$image" "$sha" "$d" "$send_mbit" "$1" 0 $clients >"$d/s.log" 2>&1 & local sp=$!
  for _ in $(seq 1 600); do [[ -e $d/sender.waiting ]] && break; sleep 0.1; done
  t0=$(now)
  touch "$d/go"
  wait "${pids[@]}" || true
  t1=$(now)
  wait "$sp" || true
  ok="$(check "$1" "$d/%s.img")"
  sender_cpu="$(cpu "$d/s.cpu")"; receivers_cpu="$(cpu "$d"/r*.cpu)"
}

run_udpcast() {
  local d="$work/udpcast"; rm -rf "$d"; mkdir -p "$d"
  local pids=()
  for i in $(seq 1 "$1"); do
    ip netns exec "$prefix-r$i" "${timed[@]}" "$d/r$i.cpu" udp-receiver --interface eth0 --mcast-rdv-address 239.192.8.1 \
      --nokbd --file "$d/r$i.img" >"$d/r$i.log" 2>&1 & pids+=($!)
  done
  sleep 1
  t0=$(now)
  ip netns exec "$prefix-s" "${timed[@]}" "$d/s.cpu" udp-sender --interface eth0 --mcast-rdv-address 239.192.8.1 --nokbd \
    --min-receivers "$1" --max-bitrate "${send_mbit}m" --file "$image" >"$d/s.log" 2>&1 || true
  wait "${pids[@]}" || true
  t1=$(now)
  ok="$(check "$1" "$d/%s.img")"
  sender_cpu="$(cpu "$d/s.cpu")"; receivers_cpu="$(cpu "$d"/r*.cpu)"
}

run_uftp() {
  local d="$work/uftp"; rm -rf "$d"; mkdir -p "$d"
  local pids=()
  for i in $(seq 1 "$1"); do
    mkdir -p "$d/r$i"
    ip netns exec "$prefix-r$i" "${timed[@]}" "$d/r$i.cpu" uftpd -d -I eth0 -M 239.192.9.1 -D "$d/r$i" \
      -L "$d/r$i.log" >/dev/null 2>&1 & pids+=($!)
  done
  sleep 1
  t0=$(now)
  ip netns exec "$prefix-s" "${timed[@]}" "$d/s.cpu" uftp -I eth0 -M 239.192.9.1 -R "$((send_mbit * 1000))" -Y none \
    -H "$(seq -f '10.214.0.%g' 2 $(( $1 + 1 )) | tr '\n' ',' | sed 's/,$//')" \
    "$image" >"$d/s.log" 2>&1 || true
  t1=$(now)
  # uftpd stays up for the next session: end it (the pattern is anchored so that its timer, whose
  # command line holds the same words, is not ended with it) so that its CPU time is written.
  pkill -f '^uftpd -d -I eth0' 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  ok="$(check "$1" "$d/%s/image.bin")"
  sender_cpu="$(cpu "$d/s.cpu")"; receivers_cpu="$(cpu "$d"/r*.cpu)"
}

run_http() {
  local d="$work/http"; rm -rf "$d"; mkdir -p "$d"
  ip netns exec "$prefix-s" "${timed[@]}" "$d/s.cpu" python3 -m http.server 8080 --bind 10.214.0.1 --directory "$work" \
    >"$d/s.log" 2>&1 & local sp=$!
  sleep 1
  local pids=()
  t0=$(now)
  for i in $(seq 1 "$1"); do
    ip netns exec "$prefix-r$i" "${timed[@]}" "$d/r$i.cpu" curl -sf -o "$d/r$i.img" http://10.214.0.1:8080/image.bin & pids+=($!)
  done
  wait "${pids[@]}" || true
  t1=$(now)
  pkill -f "http.server 8080 --bind 10.214.0.1" 2>/dev/null || true
  wait "$sp" 2>/dev/null || true
  ok="$(check "$1" "$d/%s.img")"
  sender_cpu="$(cpu "$d/s.cpu")"; receivers_cpu="$(cpu "$d"/r*.cpu)"
}

results="$work/results.tsv"
: >"$results"
measure() { # $1 link, $2 receivers, $3 loss per mille
  for tool in $tools; do
    topology "$2" "$3" "$1"
    before=$(tx)
    # A run that hangs (a lost handshake) is ended after 10 minutes and counts as not verified.
    # Its output goes nowhere, so a pipe reading this script's output ends with the script.
    (sleep 600; pkill -f 'udp-sender --interface|udp-receiver --interface|uftpd -d -I eth0|uftp -I eth0|NetnsNode|curl -sf -o') >/dev/null 2>&1 &
    local watchdog=$!
    "run_$tool" "$2"
    pkill -P "$watchdog" sleep 2>/dev/null || true
    kill "$watchdog" 2>/dev/null || true
    after=$(tx)
    line=$(python3 -c "print(f'$tool\t$2\t$3\t$1\t{$t1 - $t0:.2f}\t{$bytes * 8 / ($t1 - $t0) / 1e6:.1f}\t{($after - $before) / $bytes:.3f}\t$ok\t$sender_cpu\t$receivers_cpu\t$image_mib')")
    echo "$line" | tr '\t' ' ' >&2
    echo "$line" >>"$results"
  done
}
make_image "$size_mib"
for n in $counts; do
  for loss in $losses; do
    measure capped "$n" "$loss"
  done
done
send_mbit=5000
for mib in $uncapped_sizes; do
  make_image "$mib"
  for n in $uncapped_counts; do
    measure uncapped "$n" 0
  done
done

header="$work/header.md"
{
  echo "## Multicast"
  echo
  echo "Measured by \`bench/multicast.sh $size_mib $link_mbit \"$counts\" \"$losses\" \"$uncapped_counts\" \"$uncapped_sizes\"\` on $(date -u +%Y-%m-%d), $(nproc) CPU cores."
  echo "Topology: network namespaces on a Linux bridge. Capped: the sender's veth limited to ${link_mbit} Mbit/s"
  echo "with tbf and multicast senders paced at ${capped_send_mbit} Mbit/s. Uncapped: no tbf, senders asked for"
  echo "5000 Mbit/s (so the CPU is the limit). Loss is nftables random drop of multicast datagrams in"
  echo "every receiver's namespace (HTTP is TCP, so the loss rule does not touch it). Image: ${size_mib} MiB"
  echo "of random bytes. udpcast and UFTP are Debian's packages; HTTP is N parallel curl downloads."
  echo
  echo "Uncapped images: $uncapped_sizes MiB. Each process ran under /usr/bin/time: CPU is user + system"
  echo "seconds, the receivers' summed."
  echo
  echo "Time runs from the start signal until every receiver has exited. Our sender is up before it,"
  echo "with the image's sections digested, as a distribution point's daemon is when machines boot,"
  echo "and our receivers are JVMs started before it, waiting for their ticket, as booted agents are;"
  echo "udpcast's and UFTP's native senders are started at the signal. CPU counts each process whole,"
  echo "start-up included. Goodput per receiver = image bits / time. Wire = bytes the sender's veth transmitted"
  echo "(Ethernet frames, feedback excluded) / image size. A run still going after 10 minutes is"
  echo "ended and counts as not verified."
} >"$header"
java bench/report/MulticastReport.java "$results" docs/benchmarks.md docs/benchmarks-multicast.png \
  "$header" "$link_mbit"
echo "wrote the multicast section of docs/benchmarks.md and docs/benchmarks-multicast.png" >&2
