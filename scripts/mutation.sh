#!/usr/bin/env bash
# The mutation harness (#14): Stryker.NET mutates the protocol code (src/DaxLab/{Dax,Vfs,Index,Mm}
# and the landed design), and each mutant's test is the checker over the built-in scenarios on
# v4.12, plus the engine checks no race is needed for (tests/DaxLab.Mutation.Tests). Prints the
# mutation score and every surviving mutant by file and line.
#
#   scripts/mutation.sh                       every file of the protocol folders (hours on 2 cores)
#   scripts/mutation.sh --quick               the truncate path (a few functions)
#   scripts/mutation.sh --fault               the fault path's ladder (dax_iomap_pte_fault and
#                                             dax_iomap_pmd_fault down to ->iomap_begin)
#   scripts/mutation.sh --ci                  the truncate path against the truncate, punch and
#                                             writeback scenarios only, --min 60 (CI's subset)
#   scripts/mutation.sh GLOB...               the files matching the globs, e.g. '**/Mm/Rmap.cs'
#   scripts/mutation.sh --min 90 ...          exit 1 when the score is below 90
#   scripts/mutation.sh --filter EXPR ...     only the tests dotnet test --filter EXPR selects
#   scripts/mutation.sh --report FILE.json    only print the score and survivors of an earlier run;
#                                             several --report add up runs over parts of the code
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# The truncate path: xfs_setattr_size, truncate_pagecache_range, truncate_inode_pages_range and
# the entry deletion it calls, and the reverse-map unmap. Stryker's spans are character offsets;
# each is found from the function's signature, so that it follows the code as it moves.
span() { # FILE SIGNATURE: FILE{from..to}, the characters from the signature to the closing brace
    python3 - "src/DaxLab/$1" "$2" <<'PY'
import sys
path, signature = sys.argv[1], sys.argv[2]
text = open(path, encoding="utf-8-sig").read()
start = text.find(signature)
if start < 0:
    sys.exit(f"mutation.sh: no '{signature}' in {path}")
start = text.rfind("\n", 0, start) + 1
end = text.index("\n    }\n", start) + len("\n    }")
print(f"**/{path.removeprefix('src/DaxLab/')}{{{start}..{end}}}")
PY
}
quick=("$(span Vfs/FileOps.cs 'public static void Truncate(')"
    "$(span Vfs/FileOps.cs 'private static void DropPages(')"
    "$(span Dax/Rw.cs 'public void TruncateInodePagesRange(')"
    "$(span Dax/Entries.cs 'public DaxEntry InvalidateEntry(')"
    '**/Mm/Rmap.cs')
# The fault path: dax_iomap_pte_fault, dax_iomap_pmd_fault and its fallback checks (EOF, alignment,
# the mapping's bounds), and the ladder both climb (entry lock and ->iomap_begin in the design's
# order, the page-table re-check): the 2017 race and the fault's EOF rules.
fault=("$(span Dax/Fault.cs 'public VmFault IomapPteFault(')"
    "$(span Dax/Fault.cs 'private VmFault LockAndMap<TLevel>(')"
    "$(span Dax/Fault.cs 'private VmFault UnderEntryLock<TLevel>(')"
    "$(span Dax/Fault.cs 'public VmFault IomapPmdFault(')"
    "$(span Dax/Fault.cs 'private VmFault PmdFallbackCheck(')")
# The tests that reach it (truncate, punch and writeback against invalidation, an invalidation's
# wake passed on to a fault), and the engine's.
quick_tests='DisplayName~truncate|DisplayName~punch|DisplayName~fsync|DisplayName~msync|DisplayName~wake|FullyQualifiedName~EngineTests'
globs=()
min=""
filter=""
reports=()
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) globs+=("${quick[@]}") ;;
        --fault) globs+=("${fault[@]}") ;;
        --ci) globs+=("${quick[@]}"); filter="$quick_tests"; min=60 ;;
        --min) min="${2:?--min wants a score}"; shift ;;
        --filter) filter="${2:?--filter wants an expression}"; shift ;;
        --report) reports+=("${2:?--report wants a file}"); shift ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "mutation.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) globs+=("$1") ;;
    esac
    shift
done

if [ ${#reports[@]} -eq 0 ]; then
    out="$root/tests/DaxLab.Mutation.Tests/StrykerOutput/$(date -u +%Y%m%dT%H%M%SZ)"
    args=(--config-file stryker-config.json --output "$out")
    for g in "${globs[@]}"; do args+=(--mutate "$g"); done
    [ -z "$filter" ] || args+=(--test-case-filter "$filter")
    dotnet tool restore >/dev/null
    (cd tests/DaxLab.Mutation.Tests && dotnet tool run dotnet-stryker "${args[@]}")
    reports=("$out/reports/mutation-report.json")
fi
for report in "${reports[@]}"; do
    [ -f "$report" ] || { echo "mutation.sh: no report at $report" >&2; exit 1; }
done
python3 "$root/scripts/mutation-report.py" "${reports[@]}" "$root" ${min:+--min "$min"}
