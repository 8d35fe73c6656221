#!/bin/bash
# Compiles the peers' bench nodes with the system compiler into bench/peers/build/.
# Needs libnorm-dev and libcpg-dev (bench/peers/setup.sh installs them).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/build"
CXX=${CXX:-g++}
flags=(-std=c++20 -O2 -g -Wall -Wextra)
if [ -f /usr/include/normApi.h ]; then
  "$CXX" "${flags[@]}" -o "$here/build/norm_node" "$here/norm_node.cc" -lnorm
else
  echo "build.sh: /usr/include/normApi.h missing (run bench/peers/setup.sh); norm_node not built" >&2
fi
if [ -f /usr/include/corosync/cpg.h ]; then
  "$CXX" "${flags[@]}" -o "$here/build/cpg_node" "$here/cpg_node.cc" -lcpg
else
  echo "build.sh: /usr/include/corosync/cpg.h missing (run bench/peers/setup.sh); cpg_node not built" >&2
fi
ls -l "$here/build"
