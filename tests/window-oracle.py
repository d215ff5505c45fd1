#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# window-oracle.py - sz-window against a direct model of its windows
# (man/sz-window.1), over generated event-time data with out-of-order
# records: tumbling (with offset), sliding, session (with merging) and
# count windows, with and without lateness, with late records to a file;
# then every read size gives the same bytes. Prints TAP.
#
#   tests/window-oracle.py SZ_WINDOW [SEED]
import datetime
import json
import os
import random
import subprocess
import sys
import tempfile

SZW = sys.argv[1]
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 13
NS = 1000000000


def fmt(ns):
    sec, rem = divmod(ns, NS)
    d = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=sec)
    return '"%s.%03dZ"' % (d.strftime("%Y-%m-%dT%H:%M:%S"), rem // 1000000)


def gen(rng, n, nkeys, jitter):
    recs = []
    for i in range(n):
        t = 1764000000 * 1000 + i * 700 - rng.randrange(jitter + 1)
        k = "k%d" % rng.randrange(nkeys)
        recs.append((json.dumps({"t": t, "u": k, "i": i},
                                separators=(",", ":")), t * 1000000, k))
    return recs


class Model:
    """Open windows per key; closes by (end, start, key seq, serial)."""

    def __init__(self, kind, size, step=0, offset=0, lateness=0):
        self.kind, self.size, self.step = kind, size, step
        self.offset, self.lateness = offset, lateness
        self.keys = {}      # key -> {"seq", "wins": [...], "nrec"}
        self.seq = 0
        self.serial = 0
        self.wm = None
        self.out, self.late = [], []
        self.merged = 0

    def order(self, w):
        if self.kind == "count":
            return (w["start"], w["k"]["seq"], w["serial"])
        return (w["end"], w["start"], w["k"]["seq"], w["serial"])

    def allwins(self):
        return [w for k in self.keys.values() for w in k["wins"]]

    def close(self, w):
        k = w["k"]
        k["wins"].remove(w)
        key = w["key"]
        self.out.append('{"start":%s,"end":%s,"key":"%s","count":%d,'
                        '"items":[%s]}' % (fmt(w["start"]), fmt(w["end"]),
                                           key, len(w["items"]),
                                           ",".join(x[1] for x in
                                                    sorted(w["items"]))))
        self.maybe_forget(key)

    def maybe_forget(self, key):
        k = self.keys.get(key)
        if k is None or k["wins"]:
            return
        if self.kind == "count" and k["nrec"] % self.step != 0:
            return
        del self.keys[key]

    def new(self, k, key, start, end):
        w = {"k": k, "key": key, "start": start, "end": end, "items": [],
             "serial": self.serial}
        self.serial += 1
        k["wins"].append(w)
        return w

    def record(self, n, raw, t, key):
        if self.wm is None or t - self.lateness > self.wm:
            self.wm = t - self.lateness
        if self.kind != "count":
            while True:
                due = [w for w in self.allwins() if w["end"] <= self.wm]
                if not due:
                    break
                self.close(min(due, key=self.order))
        if key not in self.keys:
            self.keys[key] = {"seq": self.seq, "wins": [], "nrec": 0}
            self.seq += 1
        k = self.keys[key]
        item = (n, raw)
        if self.kind in ("tumbling", "sliding"):
            step = self.size if self.kind == "tumbling" else self.step
            any_ = False
            # every start s = j*step + offset with s <= t < s + size
            j = (t - self.offset - self.size) // step + 1
            while j * step + self.offset <= t:
                s = j * step + self.offset
                j += 1
                if s + self.size <= self.wm:
                    continue
                any_ = True
                w = next((w for w in k["wins"] if w["start"] == s), None)
                if w is None:
                    w = self.new(k, key, s, s + self.size)
                w["items"].append(item)
            if not any_:
                self.late.append(raw)
                self.maybe_forget(key)
        elif self.kind == "session":
            gap = self.size
            hit = [w for w in k["wins"] if w["start"] - gap < t < w["end"]]
            if not hit:
                if t + gap <= self.wm:
                    self.late.append(raw)
                    self.maybe_forget(key)
                    return
                hit = [self.new(k, key, t, t + gap)]
            into = min(hit, key=lambda w: w["start"])
            self.merged += len(hit) - 1
            for w in hit:
                if w is not into:
                    into["items"] += w["items"]
                    into["end"] = max(into["end"], w["end"])
                    into["start"] = min(into["start"], w["start"])
                    k["wins"].remove(w)
            into["start"] = min(into["start"], t)
            into["end"] = max(into["end"], t + gap)
            into["items"].append(item)
        else:
            if k["nrec"] % self.step == 0:
                self.new(k, key, t, t)
            k["nrec"] += 1
            for w in k["wins"]:
                w["end"] = t
                w["items"].append(item)
            if k["wins"]:
                first = min(k["wins"], key=lambda w: w["serial"])
                if len(first["items"]) >= self.size:
                    self.close(first)
            else:
                self.maybe_forget(key)

    def end(self):
        while self.allwins():
            self.close(min(self.allwins(), key=self.order))


def run(args, data, chunk=None):
    with tempfile.TemporaryDirectory() as d:
        late = os.path.join(d, "late")
        stats = os.path.join(d, "stats")
        p = subprocess.Popen([SZW] + args + ["--late=" + late,
                                             "--stats=" + stats],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        if chunk is None:
            out, err = p.communicate(data)
        else:
            # Write the input chunk bytes at a time, each write its own
            # pipe write, so that the tool's reads see those sizes.
            import threading
            res = {}

            def reader():
                res["out"] = p.stdout.read()
            th = threading.Thread(target=reader)
            th.start()
            for i in range(0, len(data), chunk):
                p.stdin.write(data[i:i + chunk])
                p.stdin.flush()
            p.stdin.close()
            th.join()
            err = p.stderr.read()
            p.wait()
            out = res["out"]
        with open(late, "rb") as f:
            lt = f.read()
        with open(stats) as f:
            st = json.loads(f.read())
        return p.returncode, out, err, lt, st["merged"]


def main():
    rng = random.Random(SEED)
    cases = [
        ("tumbling 10s", ["--tumbling", "10s"], "tumbling", 10 * NS, 0, 0),
        ("tumbling 10s offset 3s", ["--tumbling", "10s", "--offset", "3s"],
         "tumbling", 10 * NS, 0, 3 * NS),
        ("sliding 10s every 3s", ["--sliding", "10s", "--every", "3s"],
         "sliding", 10 * NS, 3 * NS, 0),
        ("sliding 9s every 3s", ["--sliding", "9s", "--every", "3s"],
         "sliding", 9 * NS, 3 * NS, 0),
        ("session 2s", ["--session", "2s"], "session", 2 * NS, 0, 0),
        ("count 5", ["--count-window", "5"], "count", 5, 5, 0),
        ("count 4 slide 3", ["--count-window", "4", "--slide", "3"],
         "count", 4, 3, 0),
        ("count 3 slide 5", ["--count-window", "3", "--slide", "5"],
         "count", 3, 5, 0),
    ]
    tests = []
    for lateness in (0, 4):
        for nkeys in (1, 7):
            recs = gen(rng, 600, nkeys, 5000 if nkeys > 1 else 3000)
            data = "".join(r[0] + "\n" for r in recs).encode()
            for name, args, kind, size, step, off in cases:
                m = Model(kind, size, step, off, lateness * NS)
                for n, (raw, t, k) in enumerate(recs):
                    m.record(n, raw, t, k)
                m.end()
                # the model's key text is the JSON string
                a = args + ["--time", ".t", "-k", ".u",
                            "--lateness", "%ds" % lateness]
                tests.append(("%s, lateness %ds, %d keys" %
                              (name, lateness, nkeys), a, data, m))
    n = 0
    total = len(tests) + 4
    print("1..%d" % total)
    for title, a, data, m in tests:
        n += 1
        rc, out, err, lt, merged = run(a, data)
        want = "".join(x + "\n" for x in m.out).encode()
        wlate = "".join(x + "\n" for x in m.late).encode()
        good = rc == 0 and out == want and lt == wlate and err == b"" \
            and merged == m.merged
        if not good:
            print("# rc %d err %r; out %d/%d bytes, late %d/%d" %
                  (rc, err[:200], len(out), len(want), len(lt), len(wlate)))
            ol, wl = out.split(b"\n"), want.split(b"\n")
            for i, (x, y) in enumerate(zip(ol, wl)):
                if x != y:
                    print("# line %d\n#  got  %s\n#  want %s" %
                          (i + 1, x[:300], y[:300]))
                    break
        print("%s %d - %s (%d windows, %d late, %d merges)" %
              ("ok" if good else "not ok", n, title, len(m.out),
               len(m.late), m.merged))
    # Every read size gives the same bytes.
    recs = gen(rng, 400, 5, 4000)
    data = "".join(r[0] + "\n" for r in recs).encode()
    for a in (["--session", "2s"], ["--sliding", "10s", "--every", "4s"],
              ["--count-window", "3", "--slide", "2"],
              ["--tumbling", "5s", "--max-bytes", "2KiB"]):
        n += 1
        a = a + ["--time", ".t", "-k", ".u", "--lateness", "2s"]
        ref = run(a, data)
        bad = [c for c in (1, 2, 3, 7, 64, 1000, 4096)
               if run(a, data, c) != ref]
        if bad:
            print("# chunk sizes that differ: %r" % bad)
        print("%s %d - %s: the same bytes for every read size" %
              ("not ok" if bad or ref[0] != 0 else "ok", n, " ".join(a)))


main()
