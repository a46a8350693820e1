"""Reads Stryker.NET mutation-report.json files: the score per file and overall, and every survivor.
Several reports (runs over parts of the code) add up to one score: usage REPORT... ROOT [--min N].

Score as Stryker counts it: detected (killed, timeout) over detected plus undetected (survived,
no coverage); compile errors and ignored mutants count in neither. Mutants ignored by a
`// Stryker disable` comment (argued equivalent in docs/checker.md) are listed with their reason,
so that what the score leaves out stays in view.
"""
import json
import os
import sys

DETECTED = {"Killed", "Timeout"}
UNDETECTED = {"Survived", "NoCoverage"}
IGNORED = {"Ignored", "CompileError"}
# Stryker's own reasons for ignoring a mutant; any other reason is a disable comment's.
FILTERS = ("Removed by", "Excluded by")


def main(argv):
    minimum = float(argv[argv.index("--min") + 1]) if "--min" in argv else None
    if "--min" in argv:
        del argv[argv.index("--min"):argv.index("--min") + 2]
    *paths, root = argv
    files = merged_mutants(paths, root)
    total_detected = total_undetected = total_timeouts = 0
    survivors = []
    equivalent = []
    rows = []
    for name, mutants in sorted(files.items()):
        rel = name
        mutants = list(mutants.values())
        detected = sum(1 for m in mutants if m["status"] in DETECTED)
        timeouts = sum(1 for m in mutants if m["status"] == "Timeout")
        undetected = [m for m in mutants if m["status"] in UNDETECTED]
        total_detected += detected
        total_undetected += len(undetected)
        total_timeouts += timeouts
        if detected + len(undetected):
            rows.append((rel, detected, timeouts, len(undetected)))
        for m in undetected:
            line = m["location"]["start"]["line"]
            survivors.append((rel, line, m["status"], m["mutatorName"], m.get("replacement", "")))
        for m in mutants:
            reason = m.get("statusReason") or ""
            if m["status"] == "Ignored" and reason and not reason.startswith(FILTERS):
                equivalent.append((rel, m["location"]["start"]["line"], m["mutatorName"], reason))
    print(f"{'file':52} {'killed':>6} {'of which timeouts':>17} {'alive':>6} {'score':>7}")
    for rel, detected, timeouts, alive in rows:
        print(f"{rel:52} {detected:6} {timeouts:17} {alive:6} {100.0 * detected / (detected + alive):6.1f}%")
    valid = total_detected + total_undetected
    score = 100.0 * total_detected / valid if valid else 0.0
    print()
    print(f"survivors ({total_undetected}):")
    for rel, line, status, mutator, replacement in sorted(survivors):
        print(f"  {rel}:{line}  {status}  {mutator}: {' '.join(replacement.split())[:100]}")
    if equivalent:
        print()
        print(f"ignored as equivalent by a disable comment ({len(equivalent)}):")
        for rel, line, mutator, reason in sorted(equivalent):
            print(f"  {rel}:{line}  {mutator}: {reason[:100]}")
    print()
    print(f"mutation score: {score:.2f}% ({total_detected} of {valid} mutants detected, {total_timeouts} of them by a timeout)")
    if minimum is not None and score < minimum:
        print(f"mutation score {score:.2f}% is below {minimum}%")
        return 1
    return 0


def merged_mutants(paths, root):
    """{file: {mutant key: mutant}} over the reports in order: a mutant a later report tested
    replaces the earlier one's, so that runs over parts of the code (and re-runs after a fix) add
    up to one score. The reports must be of the same source of each file: a mutant is known by
    its place in the file."""
    files = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
        for name, file in report["files"].items():
            known = files.setdefault(relative(name, root), {})
            for m in file["mutants"]:
                where = m["location"]
                key = (where["start"]["line"], where["start"]["column"], where["end"]["line"],
                       where["end"]["column"], m["mutatorName"], m.get("replacement", ""))
                if key not in known or m["status"] not in IGNORED:
                    known[key] = m
    return files


def relative(name, root):
    """A report's file name from the tree it ran in (a worktree, a clean clone) as src/...."""
    if not os.path.isabs(name):
        return name
    at = name.find(os.sep + "src" + os.sep)
    return name[at + 1:] if at >= 0 else os.path.relpath(name, root)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
