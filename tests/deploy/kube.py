#!/usr/bin/env python3
"""tests/deploy/kube.py PREFIX IMAGE COUNT OUTDIR: turns deploy/kubernetes/*.yaml
into what `podman kube play` 4.3 can run here, changing only what it cannot:
  - names get PREFIX (claims, secret, Deployment, pods), the image is IMAGE;
  - podman does not expand $(VAR) in args and its pods run with --network
    none here, so the Deployment of 3 becomes 3 Deployments of 1 whose agents
    listen on unix:/run/harvey/agent-I.sock (on the harvey-agents claim) and
    write agent-I.addr there (containerPort dropped: podman maps ports only
    on a bridge);
  - the probe Job (podman plays no Job) becomes a Pod of its template, COUNT
    schedules instead of 1000;
  - the nightly CronJob's Indexed Job becomes one argv per index (JSON list
    in OUTDIR/nightly.json), COUNT schedules instead of --time 3000.
Writes OUTDIR/agents.yaml, OUTDIR/probe.yaml, OUTDIR/nightly.json."""
import copy, json, os, sys
import yaml

prefix, image, count, out = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "deploy", "kubernetes")
load = lambda f: [d for d in yaml.safe_load_all(open(os.path.join(here, f))) if d]

def rename(spec):
    for c in spec["containers"]:
        c["image"] = image
        for e in c.get("env", []):
            ref = e.get("valueFrom", {}).get("secretKeyRef")
            if ref: ref["name"] = prefix + ref["name"]
    for v in spec.get("volumes", []):
        v["persistentVolumeClaim"]["claimName"] = prefix + v["persistentVolumeClaim"]["claimName"]

agents = []
for d in load("agents.yaml"):
    d["metadata"]["name"] = prefix + d["metadata"]["name"]
    if d["kind"] == "PersistentVolumeClaim":
        agents.append(d)
        continue
    assert d["kind"] == "Deployment"
    for i in range(d["spec"]["replicas"]):
        one = copy.deepcopy(d)
        one["metadata"]["name"] += "-%d" % i
        one["spec"]["replicas"] = 1
        spec = one["spec"]["template"]["spec"]
        rename(spec)
        c = spec["containers"][0]
        c.pop("ports", None)  # podman refuses port mappings with --network none
        c["env"] = [e for e in c["env"] if "$(" not in e.get("value", "") and "fieldRef" not in e.get("valueFrom", {})]
        c["args"] = [{"$(HARVEY_LISTEN)": "unix:/run/harvey/agent-%d.sock" % i,
                      "/run/harvey/$(POD_NAME).addr": "/run/harvey/agent-%d.addr" % i}.get(a, a) for a in c["args"]]
        assert not any("$(" in a for a in c["args"]), c["args"]
        agents.append(one)
yaml.safe_dump_all(agents, open(os.path.join(out, "agents.yaml"), "w"))

(job,) = load("probe-job.yaml")
spec = copy.deepcopy(job["spec"]["template"]["spec"])
rename(spec)
args = spec["containers"][0]["args"]
args[args.index("--count") + 1] = count
pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": prefix + job["metadata"]["name"]}, "spec": spec}
yaml.safe_dump(pod, open(os.path.join(out, "probe.yaml"), "w"))

cron = [d for d in load("nightly-fuzz.yaml") if d["kind"] == "CronJob"][0]
jt = cron["spec"]["jobTemplate"]["spec"]
assert jt["completionMode"] == "Indexed"
c = jt["template"]["spec"]["containers"][0]
runs = []
for i in range(jt["completions"]):
    a = [x.replace("$(JOB_COMPLETION_INDEX)", str(i)) for x in c["args"]]
    a[a.index("--time"):a.index("--time") + 2] = ["--count", count]
    runs.append({"args": a, "mount": c["volumeMounts"][0]["mountPath"], "shards": jt["completions"]})
json.dump(runs, open(os.path.join(out, "nightly.json"), "w"))
