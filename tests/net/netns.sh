# Network namespaces for real multi-host tests (see shared NETWORK-TESTING.md).
# Source this file, then: netns_up PREFIX N; ...; netns_down PREFIX N.
# Member i (1-based) lives in namespace ${PREFIX}m$i with veth ${PREFIX}v$i,
# addresses 10.99.0.$i/24 and fd00:99::$i/64, on bridge ${PREFIX}br. Only
# names this script made are touched; multicast routes point at the veth, so
# nothing leaves through the machine's own interfaces.

netns_up() {
  local p=$1 n=$2 i
  ip link add "${p}br" type bridge
  ip link set "${p}br" up
  for i in $(seq 1 "$n"); do
    ip netns add "${p}m$i"
    ip link add "${p}v$i" type veth peer name "${p}b$i"
    ip link set "${p}v$i" netns "${p}m$i"
    ip link set "${p}b$i" master "${p}br" up
    ip -n "${p}m$i" link set lo up
    ip -n "${p}m$i" addr add "10.99.0.$i/24" dev "${p}v$i"
    ip -n "${p}m$i" addr add "fd00:99::$i/64" dev "${p}v$i" nodad
    ip -n "${p}m$i" link set "${p}v$i" up
    ip -n "${p}m$i" route add 224.0.0.0/4 dev "${p}v$i"
  done
}

# netns_loss PREFIX N PERCENT PORTS: drop PERCENT% of incoming UDP datagrams
# to the given port range (e.g. 7400-7499) in every namespace.
netns_loss() {
  local p=$1 n=$2 pct=$3 ports=$4 i
  for i in $(seq 1 "$n"); do
    ip netns exec "${p}m$i" nft add table inet gcastloss
    ip netns exec "${p}m$i" nft "add chain inet gcastloss in { type filter hook input priority 0; }"
    ip netns exec "${p}m$i" nft add rule inet gcastloss in udp dport "$ports" numgen random mod 100 '<' "$pct" drop
  done
}

netns_down() {
  local p=$1 n=$2 i
  for i in $(seq 1 "$n"); do
    ip netns del "${p}m$i" 2>/dev/null || true
    ip link del "${p}b$i" 2>/dev/null || true
  done
  ip link del "${p}br" 2>/dev/null || true
}

# group_file PATH TRANSPORT(mc4|mc6|uni) N RELIABILITY ORDERING TOTAL BASEPORT
group_file() {
  local path=$1 tr=$2 n=$3 rel=$4 ord=$5 total=$6 port=$7 i
  {
    echo "reliability = \"$rel\""
    echo "ordering = \"$ord\""
    case $ord in *total) echo "total = \"$total\"" ;; esac
    if [ "$tr" = uni ]; then
      echo 'transport = "unicast"'
    else
      echo 'transport = "multicast"'
      echo '[multicast]'
      if [ "$tr" = mc6 ]; then echo 'group = "ff15::99:1"'; else echo 'group = "239.99.0.1"'; fi
      echo "port = $port"
      echo "interface = \"@SELF@\""
    fi
    echo '[limits]'
    echo 'max_message_bytes = 16777216'
    for i in $(seq 1 "$n"); do
      echo '[[member]]'
      echo "id = $((i - 1))"
      if [ "$tr" = mc6 ]; then echo "address = \"fd00:99::$i\""; else echo "address = \"10.99.0.$i\""; fi
      echo "port = $((port + i))"
    done
  } >"$path"
}
