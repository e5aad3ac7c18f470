import json, subprocess, sys, collections

cases = json.load(open(sys.argv[1]))
theirs = json.loads(subprocess.run(["node", "run.mjs", sys.argv[1]], capture_output=True, text=True).stdout)
ran = subprocess.run(
    ["../../.venv/bin/s3why", "simulate", "--cases", sys.argv[1], "--json"], capture_output=True, text=True
)
if ran.returncode != 0:  # a case s3why cannot read: exit 2 with its one line (CONTRACT.md)
    sys.exit(ran.stderr.strip())
ours = json.loads(ran.stdout)["results"]
M = {"Allowed": "allow", "ImplicitlyDenied": "implicit-deny", "ExplicitlyDenied": "explicit-deny"}
diff = []
errs = collections.Counter()
agree = 0
for i, (c, t, o) in enumerate(zip(cases, theirs, ours)):
    if "error" in t:
        errs["theirs:" + t["error"][:60]] += 1
        continue
    if "error" in o:
        errs["ours:" + o["error"][:80]] += 1
        continue
    if t.get("ignored"):
        errs["ignored"] += 1
        continue
    if M[t["decision"]] != o["decision"]:
        diff.append(i)
    else:
        agree += 1
print("agree", agree, "diff", len(diff), dict(errs))
json.dump(
    [
        dict(case=cases[i], theirs=theirs[i]["decision"], ours=ours[i]["decision"], reason=ours[i]["reason"])
        for i in diff
    ],
    open("diff.json", "w"),
    indent=1,
)
