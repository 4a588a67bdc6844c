#!/usr/bin/env bash
# The author's loop (issue 10, point 6): release rebuild time of `detect` after editing one
# rule vs after editing one engine file, three alternating edits each, each restored after.
#
#   bench/rebuild-times.sh [ENGINE_FILE]     (default engine/src/scan/mod.rs)
#
# Run on an otherwise idle machine; it leaves the tree as it found it.
set -euo pipefail
cd "$(dirname "$0")/.."
engine_file=${1:-engine/src/scan/mod.rs}
rule=detections/kubernetes/k8s_impersonating_privileged_identity.yml
saved=$(mktemp -d)
cp "$rule" "$saved/rule"; cp "$engine_file" "$saved/engine"
restore() { cp "$saved/rule" "$rule"; cp "$saved/engine" "$engine_file"; rm -rf "$saved"; }
trap restore EXIT
build() {
    local start end
    start=$(date +%s.%N)
    cargo build --release --bin detect -q
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f s", e - s }'
}
cargo build --release --bin detect -q
for i in 1 2 3; do
    # A rule edit that changes the generated code: one more privileged group, then back.
    if [ $((i % 2)) = 1 ]; then
        sed -i "s/- 'system:masters'/- 'system:masters'\n            - 'system:rebuild-edit'/" "$rule"
    else
        cp "$saved/rule" "$rule"
    fi
    echo "rule edit $i: $(build)"
done
cp "$saved/rule" "$rule"; cargo build --release --bin detect -q
for i in 1 2 3; do
    # An engine edit that changes code: a different warning text, then back.
    if [ $((i % 2)) = 1 ]; then
        sed -i "0,/cannot write alerts/s//cannot write the alerts/" "$engine_file"
    else
        cp "$saved/engine" "$engine_file"
    fi
    echo "engine edit $i: $(build)"
done
restore; trap - EXIT
cargo build --release --bin detect -q
