#!/usr/bin/env python3
"""W1 (webhook -> ten core.set@1 steps -> last node's answer) under callgrind: instructions
per request, a measure that does not depend on what else the machine is doing.

    python3 scripts/w1-callgrind.py PATH/TO/weft REQUESTS [CONCURRENCY] [--plain]

Starts `weft serve` on a temporary data directory under valgrind, creates and publishes the W1
workflow with the bootstrap key, sends 200 warm-up requests, zeroes the counters, sends
REQUESTS requests over CONCURRENCY keep-alive connections (default 4), dumps and prints the
program's instructions divided by REQUESTS, and leaves the data directory with the callgrind
file for `callgrind_annotate` (the plain run removes its directory). `--plain` runs without valgrind and prints
requests/s (Python-client bound) and RSS instead. Needs valgrind (callgrind_control,
callgrind_annotate)."""
import json, os, socket, subprocess, sys, tempfile, time, threading, http.client, re
bin_, n = sys.argv[1], int(sys.argv[2])
conc = int(sys.argv[3]) if len(sys.argv) > 3 and not sys.argv[3].startswith('-') else 4
mode = 'plain' if '--plain' in sys.argv else 'cg'
d = tempfile.mkdtemp(dir=os.environ.get('WDIR', '/tmp'))
s = socket.socket(); s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]; s.close()
out = os.path.join(d, 'cg.out')
cmd = [bin_, 'serve', '--listen', f'127.0.0.1:{port}', '--data-dir', d]
if mode == 'cg':
    cmd = ['valgrind', '--tool=callgrind', f'--callgrind-out-file={out}', '--dump-instr=no'] + cmd
p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=open(os.path.join(d, 'log'), 'w'), text=True)
key = None
for line in p.stdout:
    m = re.search(r'API key \(shown once, keep it safe\): (\S+)', line)
    if m: key = m.group(1); break
threading.Thread(target=lambda: [None for _ in p.stdout], daemon=True).start()
def call(method, path, body=None, auth=True):
    for _ in range(600):
        try:
            c = http.client.HTTPConnection('127.0.0.1', port, timeout=60)
            h = {'Content-Type': 'application/json'}
            if auth: h['Authorization'] = 'Bearer ' + key
            c.request(method, path, json.dumps(body) if body is not None else None, h)
            r = c.getresponse(); data = r.read(); return r.status, data
        except ConnectionRefusedError:
            time.sleep(0.1)
steps = 10
nodes = []; edges = []
for i in range(steps):
    x = "{{ $json.body.x + 1 }}" if i == 0 else "{{ $json.x + 1 }}"
    nodes.append({"id": f"s{i}", "type": "core.set@1", "params": {"mode": "replace", "fields": {"x": x}}})
    if i: edges.append({"from": {"node": f"s{i-1}"}, "to": {"node": f"s{i}"}})
doc = {"apiVersion": "weft/v1", "name": "W1", "triggers": [{"id": "hook", "type": "webhook", "node": "s0",
       "params": {"path": "w1", "method": "POST", "responseMode": "lastNode"}}], "nodes": nodes, "edges": edges}
st, wf = call('POST', '/api/v1/workflows', {"document": doc}); assert st == 201, wf
wid = json.loads(wf)['id']
st, b = call('POST', f'/api/v1/workflows/{wid}/publish', {}); assert st == 200, b
def load(count):
    def worker(k):
        c = http.client.HTTPConnection('127.0.0.1', port, timeout=60)
        for i in range(k):
            c.request('POST', '/webhook/w1', '{"x":1}', {'Content-Type': 'application/json'})
            r = c.getresponse(); r.read(); assert r.status == 200, r.status
    ts = [threading.Thread(target=worker, args=(count // conc,)) for _ in range(conc)]
    [t.start() for t in ts]; [t.join() for t in ts]
load(200)
def rss(field):
    for l in open(f'/proc/{p.pid}/status'):
        if l.startswith(field + ':'): return int(l.split()[1]) / 1024
if mode != 'cg':
    time.sleep(1.0); idle = rss('VmRSS')
if mode == 'cg':
    subprocess.run(['callgrind_control', '-z', str(p.pid)], check=True, stdout=subprocess.DEVNULL)
t0 = time.time(); load(n); t1 = time.time()
if mode == 'cg':
    subprocess.run(['callgrind_control', '-d', str(p.pid)], check=True, stdout=subprocess.DEVNULL)
if mode != 'cg':
    print(f'{n/(t1-t0):.0f} req/s  idle RSS {idle:.1f} MB  peak {rss("VmHWM"):.1f} MB')
p.terminate(); p.wait()
if mode != 'cg':
    import shutil; shutil.rmtree(d, ignore_errors=True)
if mode == 'cg':
    files = sorted(f for f in os.listdir(d) if f.startswith('cg.out'))
    f = [x for x in files if x != 'cg.out'][0] if len(files) > 1 else files[0]
    ann = subprocess.run(['callgrind_annotate', '--inclusive=no', os.path.join(d, f)], capture_output=True, text=True).stdout
    m = re.search(r'([\d,]+) \(100.0%\)\s+PROGRAM TOTALS', ann)
    tot = int(m.group(1).replace(',', ''))
    print(f'instructions/request: {tot/n:,.0f}   file: {os.path.join(d, f)}')

