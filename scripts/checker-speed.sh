#!/usr/bin/env bash
# Schedules per second of `daxlab check` on every built-in scenario on v4.12, this tree against
# an older commit (#9's speed targets; docs/checker.md, "Performance"). Prints a Markdown table.
#
#   scripts/checker-speed.sh [BASE] [SCHEDULES] [SECONDS] [PATTERN]
#
# BASE (default f9b6976, main before the checker work of #9: lockdep, DPOR, fast runs) is built
# from `git archive` in a temporary directory; this tree is built in place. Both run the search
# both builds have: DFS without a preemption bound and without reduction, the plainest one, so
# that the ratio is the speed of a run alone (this tree's DFS runs its passes within bounds 0 and
# 1 first; `daxlab check` with no options searches with DPOR, a smaller set of schedules). Each
# cell stops after SCHEDULES (default 2000) schedules or SECONDS (default 8) seconds. Before and
# after run back to back, alternating per scenario, so that the machine's load falls on both
# alike; each invocation first runs write-vs-read-fault-4k as a warm-up cell, so that the figures
# leave most of the JIT's start out. Only scenarios whose name matches PATTERN (grep -E; default
# all) run. A scenario the base build does not know shows "n/a".
set -euo pipefail

base=${1:-f9b6976}
schedules=${2:-2000}
seconds=${3:-8}
pattern=${4:-.}
root=$(git rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

git -C "$root" archive "$base" | tar -x -C "$work"
dotnet build "$work/src/DaxLab.Cli" -c Release -o "$work/out" >"$work/build-base.log" 2>&1 \
    || { echo "checker-speed: building $base failed (see its log)" >&2; cat "$work/build-base.log" >&2; exit 2; }
dotnet build "$root/src/DaxLab.Cli" -c Release >"$work/build-head.log" 2>&1 \
    || { echo "checker-speed: building this tree failed" >&2; cat "$work/build-head.log" >&2; exit 2; }
before="$work/out/daxlab"
after="$root/src/DaxLab.Cli/bin/Release/net10.0/daxlab"
common=(--design v4.12 --preemptions none --schedules "$schedules" --seconds "$seconds" --json)
warmup=write-vs-read-fault-4k

# The last cell of a --json matrix (both schemas: an array of cells, or an object with .cells) as "SCHEDULES SECONDS".
last_cell() { jq -r '(if type == "array" then . else .cells end) | last | "\(.schedules) \(.seconds)"'; }

rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }

echo "$(date -u '+%Y-%m-%d %H:%M UTC'); base $(git -C "$root" rev-parse --short "$base"), head $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD || echo ' (uncommitted changes)'); load average $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs"
echo "search: DFS, no bound, no reduction; at most $schedules schedules or $seconds s per cell"
echo
echo "| scenario | schedules | before, schedules/s | after, schedules/s | after / before |"
echo "| --- | ---: | ---: | ---: | ---: |"
for file in "$root"/src/DaxLab.Scenarios/BuiltIn/*.scn; do
    name=$(awk '$1 == "scenario" { print $2; exit }' "$file")
    grep -qE -- "$pattern" <<<"$name" || continue
    old="n/a"
    out=$("$before" check "${common[@]}" --scenario "$warmup" --scenario "$name" 2>/dev/null) || true
    if read -r n s <<<"$(last_cell <<<"$out" 2>/dev/null)" && [ "$(jq -r '(if type == "array" then . else .cells end) | last | .scenario' <<<"$out")" = "$name" ]; then
        old=$(rate "$n" "$s")
    fi
    out=$("$after" check "${common[@]}" --no-reduction --scenario "$warmup" --scenario "$name" 2>/dev/null) || [ $? -eq 1 ]
    read -r n s <<<"$(last_cell <<<"$out")"
    new=$(rate "$n" "$s")
    ratio=$([ "$old" = "n/a" ] && echo "-" || awk -v a="$new" -v b="$old" 'BEGIN { printf "%.1fx", a / b }')
    echo "| $name | $n | $old | $new | $ratio |"
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
