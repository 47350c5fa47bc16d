#!/usr/bin/env bash
# hugepages.sh [PAGES] — reserve PAGES 2 MiB hugepages (default 1024 = 2 GiB) on each
# NUMA node and mount hugetlbfs at /dev/hugepages. Idempotent; run as root.
# For 1 GiB pages use the kernel command line instead:
#   default_hugepagesz=1G hugepagesz=1G hugepages=8
set -euo pipefail
PAGES=${1:-1024}
nodes=(/sys/devices/system/node/node[0-9]*)
if [ -d "${nodes[0]}" ]; then
	for n in "${nodes[@]}"; do
		echo "$PAGES" >"$n/hugepages/hugepages-2048kB/nr_hugepages"
		echo "$(basename "$n"): $(cat "$n/hugepages/hugepages-2048kB/nr_hugepages") x 2 MiB pages"
	done
else
	echo "$PAGES" >/proc/sys/vm/nr_hugepages
fi
mkdir -p /dev/hugepages
mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages
grep -E 'HugePages_(Total|Free)' /proc/meminfo
