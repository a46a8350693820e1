"""Reads a Stryker.NET mutation-report.json: the score per file and overall, and every survivor.

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
# Stryker's own reasons for ignoring a mutant; any other reason is a disable comment's.
FILTERS = ("Removed by", "Excluded by")


def main(argv):
    path, root = argv[0], argv[1]
    minimum = float(argv[argv.index("--min") + 1]) if "--min" in argv else None
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    total_detected = total_undetected = 0
    survivors = []
    equivalent = []
    rows = []
    for name, file in sorted(report["files"].items()):
        rel = os.path.relpath(name, root) if os.path.isabs(name) else name
        detected = sum(1 for m in file["mutants"] if m["status"] in DETECTED)
        undetected = [m for m in file["mutants"] if m["status"] in UNDETECTED]
        total_detected += detected
        total_undetected += len(undetected)
        if detected + len(undetected):
            rows.append((rel, detected, len(undetected)))
        for m in undetected:
            line = m["location"]["start"]["line"]
            survivors.append((rel, line, m["status"], m["mutatorName"], m.get("replacement", "")))
        for m in file["mutants"]:
            reason = m.get("statusReason") or ""
            if m["status"] == "Ignored" and reason and not reason.startswith(FILTERS):
                equivalent.append((rel, m["location"]["start"]["line"], m["mutatorName"], reason))
    print(f"{'file':60} {'killed':>6} {'alive':>6} {'score':>7}")
    for rel, detected, alive in rows:
        print(f"{rel:60} {detected:6} {alive:6} {100.0 * detected / (detected + alive):6.1f}%")
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
    print(f"mutation score: {score:.2f}% ({total_detected} of {valid} mutants detected)")
    if minimum is not None and score < minimum:
        print(f"mutation score {score:.2f}% is below {minimum}%")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
