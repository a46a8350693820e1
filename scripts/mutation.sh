#!/usr/bin/env bash
# The mutation harness (#14): Stryker.NET mutates the protocol code (src/DaxLab/{Dax,Vfs,Index,Mm}
# and the landed design), and each mutant's test is the checker over the built-in scenarios on
# v4.12 (tests/DaxLab.Mutation.Tests). Prints the mutation score and every surviving mutant by
# file and line.
#
#   scripts/mutation.sh                       every file of the protocol folders (hours on 2 cores)
#   scripts/mutation.sh --quick               the truncate path (a few functions)
#   scripts/mutation.sh GLOB...               the files matching the globs, e.g. '**/Mm/Rmap.cs'
#   scripts/mutation.sh --min 90 ...          exit 1 when the score is below 90
#   scripts/mutation.sh --report FILE.json    only print the score and survivors of an earlier run
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# The truncate path (line spans): xfs_setattr_size, truncate_pagecache_range,
# truncate_inode_pages_range and the reverse-map unmap.
quick=('**/Vfs/FileOps.cs{78..101}' '**/Vfs/FileOps.cs{255..265}' '**/Dax/Rw.cs{202..218}' '**/Mm/Rmap.cs')
globs=()
min=""
report=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) globs+=("${quick[@]}") ;;
        --min) min="${2:?--min wants a score}"; shift ;;
        --report) report="${2:?--report wants a file}"; shift ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "mutation.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) globs+=("$1") ;;
    esac
    shift
done

if [ -z "$report" ]; then
    out="$root/tests/DaxLab.Mutation.Tests/StrykerOutput/$(date -u +%Y%m%dT%H%M%SZ)"
    args=(--config-file stryker-config.json --output "$out")
    for g in "${globs[@]}"; do args+=(--mutate "$g"); done
    dotnet tool restore >/dev/null
    (cd tests/DaxLab.Mutation.Tests && dotnet tool run dotnet-stryker "${args[@]}")
    report="$out/reports/mutation-report.json"
fi
[ -f "$report" ] || { echo "mutation.sh: no report at $report" >&2; exit 1; }
python3 "$root/scripts/mutation-report.py" "$report" "$root" ${min:+--min "$min"}
