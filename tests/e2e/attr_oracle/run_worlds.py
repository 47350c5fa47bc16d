#!/usr/bin/env python3
"""run_worlds.py: differential run of unmo-attr against oracle.py on worlds.py's worlds.

Part of the e2e test attr_oracle.sh; like the oracle it is written from
docs/attribution.md alone. Each world goes through `unmo-seg import` and
`unmo-attr` (its thread and partition counts varied by seed: the answer may
not depend on them) and is compared with the oracle's outputs: installs.csv
and conversions.csv row for row and in section 13's order, report.csv and
models.csv per row, report.json's totals and input counters.

    run_worlds.py --bin BUILD/tools --work DIR --seeds FIRST:COUNT
    run_worlds.py --bin BUILD/tools --work DIR --world KEPT_DIR   # re-check one world
    run_worlds.py ... --profile NAME          # a shape of shapes.py instead of worlds.py's
    run_worlds.py ... --runs 1/1/-,2/64/4M    # each world at these threads/partitions/--mem
                                              # (byte-identical outputs required between them)
    run_worlds.py ... --split-files K         # imported into K segment files
    run_worlds.py ... --keep-going            # count disagreements instead of stopping

On the first disagreement it prints the differences and where the world is
kept (events.jsonl, attr.conf, args, the tool's and the oracle's outputs),
and exits 1. Standard library only.
"""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402
import worlds  # noqa: E402
import rjcheck  # noqa: E402


def read_csv(path):
    with open(path, newline='', encoding='utf-8') as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def row_diff(header, name, key, got, want):
    if got is None or want is None:
        return '%s %s: tool %r, oracle %r' % (name, key, got, want)
    return '%s %s: %s' % (name, key, '; '.join(
        '%s tool %r oracle %r' % c for c in zip(header, got, want) if c[1] != c[2]))


def compare(out, want, want_json):
    """Differences between the tool's output dir and the oracle's tables."""
    diffs = []
    for name, (header, rows) in want.items():
        got_header, got = read_csv(os.path.join(out, name))
        if got_header != header:
            diffs.append('%s header: tool %s, oracle %s' % (name, got_header, header))
            continue
        if name in ('installs.csv', 'conversions.csv'):
            extra, missing = Counter(map(tuple, got)) - Counter(map(tuple, rows)), \
                Counter(map(tuple, rows)) - Counter(map(tuple, got))
            by_id = {r[0]: r for r in missing}
            for r in extra:  # pair rows by event id where one side has one
                diffs.append(row_diff(header, name, r[0], list(r), by_id.pop(r[0], None)))
            diffs += [row_diff(header, name, r[0], None, list(r)) for r in by_id.values()]
            # section 13's row order, up to the credited touch (rows equal that far are
            # equal in every column the worlds vary)
            keys = [oracle.full_row_order(name, r) for r in got]
            if not extra and not missing and keys != sorted(keys):
                diffs.append('%s: rows not in the order of section 13' % name)
        else:
            # the tool leaves out rows of nothing but zeros (touches looked up outside --from/--to)
            def live(r):
                return any(v not in ('', '0', '0.000000') for v in r[3:])
            g = {tuple(r[:3]): r for r in got if live(r)}
            w = {tuple(r[:3]): r for r in rows if live(r)}
            diffs += [row_diff(header, name, k, g.get(k), w.get(k)) for k in sorted(set(g) | set(w))
                      if g.get(k) != w.get(k)]
            if [tuple(x.encode() for x in r[:3]) for r in got] != sorted(tuple(x.encode() for x in r[:3]) for r in got):
                diffs.append('%s: rows not in app, source, campaign byte order' % name)
    with open(os.path.join(out, 'report.json'), encoding='utf-8') as f:
        rj = json.load(f)
    for part in ('input', 'totals'):
        diffs += ['report.json %s.%s: tool %r, oracle %r' % (part, k, rj[part].get(k), v)
                  for k, v in want_json[part].items() if rj[part].get(k) != v]
    return diffs


SPLIT = 1
RUNS = None  # --runs: list of (threads, partitions or None, mem or None); None: by seed
STATS = Counter()


def check(tools, wdir, seed):
    """Run one world dir through the tool and the oracle: (differences, events, installs)."""
    args = open(os.path.join(wdir, 'args'), encoding='utf-8').read().split()
    for d in ('seg', 'tool', 'oracle'):
        shutil.rmtree(os.path.join(wdir, d), ignore_errors=True)
    if SPLIT > 1:  # several segment files (several writers), lines dealt round-robin
        lines = open(os.path.join(wdir, 'events.jsonl'), encoding='utf-8').read().splitlines(True)
        for k in range(SPLIT):
            p = subprocess.run([os.path.join(tools, 'unmo-seg'), 'import', '--out', 'seg', '--writer', str(k),
                                '--block-bytes', '4096', '-'], input=''.join(lines[k::SPLIT]),
                               cwd=wdir, capture_output=True, text=True)
            if p.returncode:
                break
    else:
        p = subprocess.run([os.path.join(tools, 'unmo-seg'), 'import', '--out', 'seg', 'events.jsonl'],
                           cwd=wdir, capture_output=True, text=True)
    if p.returncode:
        return ['unmo-seg import exit %d: %s' % (p.returncode, p.stderr.strip()[-2000:])], 0, 0
    try:
        want, want_json = oracle.attribute([a for a in args if a != '--conversions'] + ['events.jsonl'], wdir)
    except oracle.Unmodelled as e:
        return ['world outside the oracle\'s model (a worlds.py bug): %s' % e], 0, 0
    runs = RUNS or [((1, 2)[seed % 2], (None, 1, 2, 3, 7, 64)[seed // 2 % 6], None)]
    first = None
    for i, (threads, parts, mem) in enumerate(runs):
        out = 'tool' if i == 0 else 'tool%d' % i
        shutil.rmtree(os.path.join(wdir, out), ignore_errors=True)
        cmd = [os.path.join(tools, 'unmo-attr'), '--quiet', '--out', out, '--threads', str(threads)] + \
            (['--partitions', str(parts)] if parts else []) + (['--mem', mem.split(':')[0]] if mem and mem.split(':')[0] not in ('', '-') else []) + \
            (['--spill-io', mem.split(':')[1]] if mem and ':' in mem else []) + args + ['seg']
        with open(os.path.join(wdir, 'cmd'), 'a', encoding='utf-8') as f:
            f.write('cd %s && unmo-seg import --out seg events.jsonl && %s\n' % (wdir, ' '.join(cmd[:1] + cmd[2:])))
        p = subprocess.run(cmd, cwd=wdir, capture_output=True, text=True)
        if p.returncode:
            return ['unmo-attr %s exit %d: %s' % (out, p.returncode, p.stderr.strip()[-2000:])], 0, 0
        with open(os.path.join(wdir, out, 'report.json'), encoding='utf-8') as f:
            inp = json.load(f)['input']
        for k in ('partitions_split', 'rows_spilled', 'ctit_spilled', 'report_rows_spilled', 'spilled_bytes'):
            STATS[k] += bool(inp.get(k))
        diffs = ['[%s t%d p%s m%s] %s' % (out, threads, parts, mem, d)
                 for d in compare(os.path.join(wdir, out), want, want_json)]
        diffs += rjcheck.check([os.path.join(wdir, out)])
        if first is None:
            first = out
        else:
            for name in ('installs.csv', 'conversions.csv', 'report.csv', 'models.csv'):
                if open(os.path.join(wdir, out, name), 'rb').read() != open(os.path.join(wdir, first, name), 'rb').read():
                    diffs.append('%s differs between %s and %s' % (name, first, out))
        if diffs:  # the oracle's files beside the tool's, to diff by hand
            oracle.main(['--out', 'oracle'] + args + ['events.jsonl'], wdir)
            return diffs, 0, 0
    return [], want_json['input']['events_read'], len(want['installs.csv'][1])


def fail(args, wdir, diffs):
    print('attr_oracle: %d differences in %s (kept: events.jsonl, args, attr.conf, cmd, tool/, oracle/); first:'
          % (len(diffs), wdir), file=sys.stderr)
    for d in diffs[:12]:
        print('  ' + d, file=sys.stderr)
    print('re-check: python3 %s --bin %s --work %s --world %s' % (os.path.abspath(__file__), args.bin, args.work, wdir),
          file=sys.stderr)
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--bin', required=True, help='directory of unmo-seg and unmo-attr')
    ap.add_argument('--work', required=True, help='scratch directory (failing worlds stay there)')
    ap.add_argument('--seeds', help='FIRST:COUNT')
    ap.add_argument('--world', action='append', default=[], help='a world directory to re-check')
    ap.add_argument('--profile', default='default', help='world shape (shapes.py)')
    ap.add_argument('--runs', help='THREADS/PARTS/MEM,... (PARTS, MEM may be -)')
    ap.add_argument('--split-files', type=int, default=1, help='import into this many segment files')
    ap.add_argument('--keep-going', action='store_true', help='go on after a disagreement')
    a = ap.parse_args()
    global RUNS, SPLIT
    SPLIT = a.split_files
    if a.runs:
        RUNS = [(int(x.split('/')[0]), None if x.split('/')[1] == '-' else int(x.split('/')[1]),
                 None if x.split('/')[2] == '-' else x.split('/')[2]) for x in a.runs.split(',')]
    nfail = 0
    a.bin = os.path.abspath(a.bin)  # the tools run in each world's directory
    nworld = nev = nins = 0
    for w in a.world:
        seed = os.path.basename(os.path.normpath(w)).rpartition('-')[2]  # seed-N: its threads and partitions
        diffs, ev, ins = check(a.bin, os.path.abspath(w), int(seed) if seed.isdigit() else 0)
        if diffs:
            fail(a, w, diffs)
        nworld, nev, nins = nworld + 1, nev + ev, nins + ins
    if a.seeds:
        first, count = map(int, a.seeds.split(':'))
        for seed in range(first, first + count):
            wdir = os.path.join(a.work, 'seed-%d' % seed)
            worlds.write(seed, wdir, a.profile)
            if os.path.exists(os.path.join(wdir, 'cmd')):
                os.remove(os.path.join(wdir, 'cmd'))
            diffs, ev, ins = check(a.bin, wdir, seed)
            if diffs:
                if not a.keep_going:
                    fail(a, wdir, diffs)
                nfail += 1
                print('FAIL %s: %d diffs; first: %s' % (wdir, len(diffs), ' | '.join(diffs[:3])[:1500]), flush=True)
                continue
            shutil.rmtree(wdir)
            nworld, nev, nins = nworld + 1, nev + ev, nins + ins
    print('attr_oracle: %d worlds agreeing (%d failed), %d events, %d install rows; run stats %s'
          % (nworld, nfail, nev, nins, dict(STATS)))


if __name__ == '__main__':
    main()
