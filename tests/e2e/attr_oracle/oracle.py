#!/usr/bin/env python3
"""oracle.py: an independent reference implementation of unmo-attr.

Written from docs/attribution.md alone (sections 1-13), not from lib/: it
takes the events of a JSON lines file (docs/jsonl-schema.md) and the
unmo-attr flags that decide attribution (--config, --set, window flags,
--app, --from, --to) and computes what the spec says the outputs hold:
installs.csv, conversions.csv, report.csv, models.csv and the totals and
input counters of report.json. The e2e test attr_oracle.sh (through
run_worlds.py) compares the tool with it on random worlds; by hand:

    oracle.py --out DIR [unmo-attr flags] events.jsonl

Not modelled (worlds.py never produces it, and attribute() raises Unmodelled
if it meets it): rule 5 of the group order, the record-bytes comparison of
events equal in time, type, receive time and event id.
Standard library only.
"""
import argparse
import csv
import datetime
import ipaddress
import json
import math
import os
import re

S = 1000000
H = 3600 * S
D = 86400 * S

DEFAULTS = {  # section 2
    'click_lookback': 7 * D, 'view_lookback': 1 * D, 'view_through': True,
    'prob_window': 1 * D, 'reattribution': 90 * D, 'reengagement': 30 * D,
    'retarget_click': 7 * D, 'half_life': 7 * D, 'fast_ctit': 10 * S,
    'flood_clicks': 50, 'flood_window': 24 * H,
}
WINDOW_FLAGS = ('click_lookback', 'view_lookback', 'view_through', 'prob_window', 'reattribution',
                'reengagement', 'retarget_click', 'half_life')
# group order rule 2 (section 3)
TYPE_RANK = {t: i for i, t in enumerate(
    ('impression', 'click', 'install', 'reinstall', 'session', 'reengagement', 'conversion'))}
TOUCHES = ('impression', 'click')
INSTALLS = ('install', 'reinstall')
MODELS = ('first', 'last', 'linear', 'time_decay', 'position')
UNIT = 1000000  # credit units of one conversion or install (section 11)


class Unmodelled(Exception):
    """The world needs a rule the oracle does not model (group order rule 5)."""


def parse_dur(v):
    m = re.fullmatch(r'(\d+)(d|h|m|s|ms|us)?', v)
    if not m:
        raise ValueError('bad duration %r' % v)
    return int(m.group(1)) * {None: 1, 'us': 1, 'ms': 1000, 's': S, 'm': 60 * S, 'h': H, 'd': D}[m.group(2)]


def parse_val(key, v):
    if key == 'view_through':
        return {'on': True, 'off': False}[v]
    return int(v) if key == 'flood_clicks' else parse_dur(v)


def parse_time(v):
    if re.fullmatch(r'-?\d+', v):
        return int(v)
    for fmt in ('%Y-%m-%d', '%Y-%m-%dT%H:%M:%SZ'):
        try:
            d = datetime.datetime.strptime(v, fmt).replace(tzinfo=datetime.timezone.utc)
            return int(d.timestamp()) * S
        except ValueError:
            pass
    raise ValueError('bad time %r' % v)


class Config:
    """attr.conf: 'app *' lines are defaults, an app's own line overrides them, flags override both."""

    def __init__(self):
        self.star, self.apps, self.cli = {}, {}, {}

    def load(self, path):
        with open(path, encoding='utf-8') as f:
            for line in f:
                parts = line.split('#', 1)[0].split()
                if not parts:
                    continue
                d = self.star if parts[1] == '*' else self.apps.setdefault(parts[1], {})
                for kv in parts[2:]:
                    k, v = kv.split('=', 1)
                    d[k] = parse_val(k, v)

    def get(self, app):
        return {**DEFAULTS, **self.star, **self.apps.get(app, {}), **self.cli}


# ---------------------------------------------------------------- section 3 and 5: keys, families
UUID_RE = re.compile(r'[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}')


def zeroed(s):
    return '0' in s and all(ch in '0-' for ch in s)




def ua_family(ua):
    s = ''.join(ch.lower() if 'A' <= ch <= 'Z' else ch for ch in ua)

    def version(text, prefix, fallback):
        # N: the digits right after the text, spaces skipped, as written
        i = s.find(text) + len(text)
        while i < len(s) and s[i] == ' ':
            i += 1
        m = re.match(r'[0-9]{1,7}', s[i:])
        return prefix + '-' + m.group(0) if m else fallback

    for text, prefix in (('iphone os ', 'ios'), ('cpu os ', 'ios'), ('android', 'android')):
        if text in s:
            return version(text, prefix, prefix)
    m = re.search(r'(?<![a-z])ios[ /]([0-9]{1,7})', s)  # the word: no letter before it
    if m:
        return 'ios-' + m.group(1)
    if any(w in s for w in ('iphone', 'ipad', 'darwin', 'cfnetwork')):
        # section 5: the first 'darwin/', spaces skipped, a run of 1 to 3 digits
        i = s.find('darwin/')
        m = re.match(r' *([0-9]+)', s[i + 7:]) if i >= 0 else None
        if m and len(m.group(1)) > 3:
            m = None
        if m:
            d = int(m.group(1))
            if 17 <= d <= 24:
                return 'ios-%d' % (d - 6)
            if d >= 25:
                return 'ios-%d' % (d + 1)
        return 'ios'
    for word, fam in (('windows', 'windows'), ('mac os x', 'macos'), ('linux', 'linux')):
        if word in s:
            return fam
    return re.match(r'[^/ \x00-\x1f\x7f-\U0010ffff]*', s).group(0) or 'other'


def norm_ip(ip):
    a = ipaddress.ip_address(ip)
    if a.version == 6 and a.ipv4_mapped is not None:
        a = a.ipv4_mapped
    return (a.version, a.packed)


class Ev:
    __slots__ = ('d', 'line', 'eid', 'type', 't', 'recv', 'app', 'src', 'camp', 'row', 'rt', 'rev',
                 'cur', 'name', 'ip', 'fam', 'kind', 'key', 'zeroed', 'sender', 'seq', 'order')


def content(d, with_recv=True):
    """The event's content as comparable text: equal for identical records."""
    # spellings the record does not keep: an event id's dashes and case, a UUID's case
    c = {k: v.lower() if isinstance(v, str) and UUID_RE.fullmatch(v) else v
         for k, v in d.items() if v not in (None, '', False)}
    if 'ip' in c:  # an IPv4-mapped address counts as its IPv4 address (section 3)
        v, b = norm_ip(c['ip'])
        c['ip'] = '%d:%s' % (v, b.hex())
    eid = int((c.pop('event_id', None) or '0').replace('-', ''), 16)
    if eid:
        c['event_id'] = eid
    if not with_recv:
        c.pop('recv_time_us', None)
    return json.dumps(c, sort_keys=True)


def load_events(path):
    evs = []
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f):
            if not line.strip():
                continue
            d = json.loads(line)
            e = Ev()
            e.d, e.line = d, n
            e.eid = int((d.get('event_id') or '0').replace('-', ''), 16)
            e.type = d['type']
            e.t = d.get('event_time_us') or 0
            e.recv = d.get('recv_time_us') or 0
            e.app = d.get('app_id') or ''
            e.src = d.get('media_source') or ''
            e.camp = d.get('campaign') or ''
            e.row = (e.app, e.src, e.camp)
            e.rt = bool(d.get('retargeting'))
            e.rev = d.get('revenue_micros') or 0
            e.cur = d.get('currency') or 'XXX'
            e.name = d.get('event_name') or ''
            e.ip = norm_ip(d['ip']) if d.get('ip') else None
            e.fam = ua_family(d['user_agent']) if d.get('user_agent') else None
            e.sender, e.seq = d.get('sender_id') or 0, d.get('sequence') or 0
            e.order = (e.t, TYPE_RANK[e.type], e.recv, -e.eid)  # group order rules 1-4
            e.zeroed, e.kind, e.key = 0, None, None
            for kind in ('advertising_id', 'vendor_id', 'customer_user_id'):
                v = d.get(kind) or ''
                if kind != 'customer_user_id' and v and zeroed(v):
                    e.zeroed += 1
                elif v:
                    e.kind, e.key = kind, v.lower() if UUID_RE.fullmatch(v) else v
                    break
            evs.append(e)
    return evs


def group_of(e):
    if e.kind is not None:
        return (e.app, e.kind, e.key)
    if e.type in TOUCHES:
        # device-less touches live in the probabilistic group of (app, IP, family), section 5
        return (e.app, 'touch', e.ip, e.fam)
    if e.eid:
        return (e.app, 'event_id', e.eid)
    return (e.app, 'content', content(e.d, with_recv=not e.sender))


def latest(cands):
    """The winner within a waterfall step: the last in group order."""
    return max(cands, key=lambda c: c.order, default=None)


def in_win(tt, t, w):
    return t - w <= tt <= t


def largest_remainder(total, weights):
    W = sum(weights)
    T = abs(total)
    parts = [T * w // W for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(T * weights[i] % W), i))
    for i in order[:T - sum(parts)]:
        parts[i] += 1
    return [-p for p in parts] if total < 0 else parts


def model_weights(model, tps, half_life):
    n = len(tps)
    if model == 'first':
        return [1] + [0] * (n - 1)
    if model == 'last':
        return [0] * (n - 1) + [1]
    if model == 'linear':
        return [1] * n
    if model == 'time_decay':
        # 2^40 fixed point, ages from the last touchpoint, rounded half away from zero
        tn = tps[-1].t
        return [decay_weight(tn - tp.t, half_life) for tp in tps]
    if n <= 2:
        return [1] * n
    return [2 * (n - 2)] + [1] * (n - 2) + [2 * (n - 2)]  # 40% / 20% shared / 40%


def decay_weight(age, half_life):
    """Section 11: llround(ldexp(exp2(-age / half_life), 40)) in double precision (halves
    away from zero); math.exp2 is the C library's exp2 (Python 3.11 on)."""
    exp2 = getattr(math, 'exp2', lambda x: 2.0 ** x)
    return math.floor(math.ldexp(exp2(-float(age) / float(half_life)), 40) + 0.5)


# ---------------------------------------------------------------- the engine
class Row:
    def __init__(self):
        self.c = dict.fromkeys(('impressions', 'clicks', 'installs_click', 'installs_prob', 'installs_view',
                                'installs_organic', 'reattributions', 'reinstalls', 'reengagements',
                                'conversions', 'fast_ctit_installs', 'click_flood_devices'), 0)
        self.rev = {}
        self.ctits = []
        self.mi = dict.fromkeys(MODELS, 0)
        self.mc = dict.fromkeys(MODELS, 0)
        self.mr = {m: {} for m in MODELS}


class Oracle:
    def __init__(self, evs, conf, app=None, frm=None, to=None):
        self.conf, self.frm, self.to = conf, frm, to
        self.stats = {'events_read': len(evs), 'events_filtered': 0, 'duplicates': 0, 'device_ids_zeroed': 0}
        if app is not None:  # section 12: other apps' events are dropped before anything else
            keep = [e for e in evs if e.app == app]
            self.stats['events_filtered'] = len(evs) - len(keep)
            evs = keep
        self.rows, self.installs, self.convs = {}, [], []
        self.totals = dict.fromkeys(('installs', 'reattributions', 'reinstalls', 'reengagements',
                                     'conversions', 'conversions_unattributed'), 0)
        groups = {}
        for e in evs:
            groups.setdefault(group_of(e), []).append(e)
        self.groups = {g: self.dedup(lst) for g, lst in groups.items()}
        self.prob = {g[0:1] + g[2:]: [e for e in lst if e.type == 'click']
                     for g, lst in self.groups.items() if g[1] == 'touch' and g[2] is not None and g[3] is not None}
        for lst in self.groups.values():
            for e in lst:
                if e.type in TOUCHES and self.inr(e.t):
                    self.row(e.row).c[e.type + 's'] += 1
        for g, lst in self.groups.items():
            if g[1] != 'touch':
                self.device(g, lst)

    def dedup(self, lst):
        """Section 9: the copy kept is the first in group order."""
        lst.sort(key=lambda e: (e.order, e.line))
        for a, b in zip(lst, lst[1:]):
            # rule 5 decides between these two: which touch wins, which install is
            # first, which copy of an event id is kept (app opens and conversions of
            # one microsecond, alike in rules 1-4, come out the same in either order)
            if a.order == b.order and content(a.d) != content(b.d) and \
                    (a.type in TOUCHES + INSTALLS or a.eid):
                raise Unmodelled('group order rule 5 needed: lines %d and %d' % (a.line + 1, b.line + 1))
        out, seen = [], set()
        for e in lst:
            k = e.eid if e.eid else (e.sender, e.seq, content(e.d, with_recv=False)) if e.sender else None
            if k is not None and k in seen:
                self.stats['duplicates'] += 1
                continue
            seen.add(k)
            self.stats['device_ids_zeroed'] += e.zeroed
            out.append(e)
        return out

    def inr(self, t):
        return (self.frm is None or t >= self.frm) and (self.to is None or t < self.to)

    def row(self, r):
        return self.rows.setdefault(r, Row())

    def prob_best(self, e, t, w, rt_only):
        if e.ip is None or e.fam is None:
            return None
        return latest([p for p in self.prob.get((e.app, e.ip, e.fam), ())
                       if in_win(p.t, t, w) and (p.rt or not rt_only)])

    def waterfall(self, e, cfg, touches, rt_only):
        """Section 4 (rt_only: the retargeting waterfall of section 6): (touch, match) or None."""
        t = e.t
        c = latest([x for x in touches if x.type == 'click' and (x.rt or not rt_only)
                    and in_win(x.t, t, cfg['click_lookback'])])
        if c:
            return c, 'deterministic'
        c = self.prob_best(e, t, cfg['prob_window'], rt_only)
        if c:
            return c, 'probabilistic'
        if cfg['view_through']:
            c = latest([x for x in touches if x.type == 'impression' and (x.rt or not rt_only)
                        and in_win(x.t, t, cfg['view_lookback'])])
            if c:
                return c, 'deterministic'
        return None

    def floods(self, cfg, clicks):
        """Section 10: a flood device per source/campaign, reported at its first flood window's first click."""
        by_row = {}
        for c in clicks:
            by_row.setdefault(c.row, []).append(c.t)
        for r, ts in by_row.items():
            ts.sort()
            j = 0
            for i in range(len(ts)):
                while j < len(ts) and ts[j] <= ts[i] + cfg['flood_window']:
                    j += 1
                if j - i >= cfg['flood_clicks']:
                    if self.inr(ts[i]):
                        self.row(r).c['click_flood_devices'] += 1
                    break

    def device(self, g, lst):
        app = g[0]
        cfg = self.conf.get(app)
        touches = [e for e in lst if e.type in TOUCHES]
        self.floods(cfg, [e for e in touches if e.type == 'click'])
        credited = set()   # per device (section 5), by object identity
        t0 = None          # time of the install that opened the re-attribution window
        cur = None         # current attribution: a touch, 'organic', or None before any install
        reeng = None       # running re-engagement: (click, start, end)
        last_install = None
        for e in lst:      # already in group order
            t = e.t
            if e.type in INSTALLS:
                if t0 is None or t - t0 > cfg['reattribution']:
                    # new install: the full waterfall, credited touches included (section 6)
                    res = self.waterfall(e, cfg, touches, False)
                    t0, reeng = t, None
                    cur = res[0] if res else 'organic'
                    if res:
                        credited.add(id(res[0]))
                    self.install(e, cfg, g, touches, 'new_install', res)
                else:
                    res = self.waterfall(e, cfg, touches, True)
                    if res and id(res[0]) not in credited:
                        credited.add(id(res[0]))
                        cur, reeng = res[0], None
                        self.install(e, cfg, g, touches, 'reattribution', res)
                    else:
                        self.install(e, cfg, g, touches, 'reinstall', cur)
                last_install = t
            elif e.type in ('session', 'reengagement'):
                if last_install is None:
                    continue
                c = latest([x for x in touches if x.type == 'click' and x.rt
                            and in_win(x.t, t, cfg['retarget_click'])])
                if c is None or c.t < last_install or id(c) in credited:
                    continue  # an older click is not taken in place of a credited one (section 7)
                credited.add(id(c))
                reeng = (c, t, t + cfg['reengagement'])
                if self.inr(t):
                    self.row(c.row).c['reengagements'] += 1
                    self.totals['reengagements'] += 1
            elif e.type == 'conversion':
                self.conversion(e, cfg, app, touches, cur, reeng)

    def conversion(self, e, cfg, app, touches, cur, reeng):
        if reeng and reeng[1] <= e.t <= reeng[2]:
            via, touch = 'reengagement', reeng[0]
        elif cur is not None:
            via, touch = 'install', None if cur == 'organic' else cur
        else:
            via, touch = 'none', None
        r = touch.row if touch else (app, 'organic' if via == 'install' else '(none)', '')
        if not self.inr(e.t):
            return
        row = self.row(r)
        row.c['conversions'] += 1
        row.rev[e.cur] = row.rev.get(e.cur, 0) + e.rev
        self.totals['conversions'] += 1
        self.totals['conversions_unattributed'] += via == 'none'
        self.convs.append(['%032x' % e.eid, e.app, e.name, str(e.t), str(e.rev), e.d.get('currency') or '', via] +
                          touch_cols(touch))
        self.models(e, cfg, touches, r, True)

    def install(self, e, cfg, g, touches, outcome, res):
        app = g[0]
        if outcome == 'reinstall':  # keeps the current attribution
            touch = None if res in (None, 'organic') else res
            match, ctit = 'original', None
        else:
            touch, match = res if res else (None, 'organic')
            ctit = e.t - touch.t if touch is not None and touch.type == 'click' else None
        r = touch.row if touch else (app, 'organic', '')
        fraud = 'fast_ctit' if ctit is not None and ctit < cfg['fast_ctit'] else ''
        if not self.inr(e.t):
            return
        row = self.row(r)
        if outcome == 'new_install':
            self.totals['installs'] += 1
            step = 'organic' if touch is None else 'prob' if match == 'probabilistic' else \
                'click' if touch.type == 'click' else 'view'
            row.c['installs_' + step] += 1
        else:
            self.totals[outcome + 's'] += 1
            row.c[outcome + 's'] += 1
        if ctit is not None:
            row.ctits.append(ctit)
            row.c['fast_ctit_installs'] += bool(fraud)
        self.installs.append(['%032x' % e.eid, app, e.type, str(e.t), match] + touch_cols(touch) +
                             [outcome, utc_day(e.t), g[1], '' if ctit is None else str(ctit), fraud])
        if outcome != 'reinstall':
            self.models(e, cfg, touches, r, False)

    def models(self, e, cfg, touches, lt_row, conv):
        """Section 11 for one counted install or conversion."""
        t = e.t
        tps = sorted((x for x in touches if in_win(x.t, t, cfg['click_lookback'] if x.type == 'click' else
                                                   cfg['view_lookback'] if cfg['view_through'] else -1)),
                     key=lambda x: x.order)
        for m in MODELS:
            if not tps:
                parts = [(lt_row, UNIT, e.rev)]
            else:
                w = model_weights(m, tps, cfg['half_life'])
                rev = largest_remainder(e.rev, w) if conv else [0] * len(tps)
                parts = zip([x.row for x in tps], largest_remainder(UNIT, w), rev)
            for r, credit, v in parts:
                row = self.row(r)
                if conv:
                    row.mc[m] += credit
                    row.mr[m][e.cur] = row.mr[m].get(e.cur, 0) + v
                else:
                    row.mi[m] += credit


def utc_day(t):
    """UTC calendar day of t (proleptic Gregorian, astronomical years: section 14 allows times
    up to 2^62 us either way, years -144169 to 148108, beyond Python's datetime)."""
    z = t // D + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    y = yoe + era * 400 + (m <= 2)
    # years outside 0..9999: as the tool prints them (the spec's YYYY-MM-DD does not say)
    return ('%04d-%02d-%02d' if 0 <= y <= 9999 else '%d-%02d-%02d') % (y, m, d)


def touch_cols(touch):
    if touch is None:
        return ['', '', '', '', '', '0']
    return ['%032x' % touch.eid, touch.type, touch.src, touch.camp, str(touch.t), '1' if touch.rt else '0']


# ---------------------------------------------------------------- outputs (section 13)
INST_COLS = ['install_event_id', 'app_id', 'install_type', 'install_time_us', 'match', 'touch_event_id',
             'touch_type', 'media_source', 'campaign', 'touch_time_us', 'retargeting', 'outcome',
             'install_day', 'device_key', 'click_to_install_us', 'fraud']
CONV_COLS = ['event_id', 'app_id', 'event_name', 'time_us', 'revenue_micros', 'currency', 'via',
             'touch_event_id', 'touch_type', 'media_source', 'campaign', 'touch_time_us', 'retargeting']
REP_COLS = ['app_id', 'media_source', 'campaign', 'impressions', 'clicks', 'installs', 'installs_click',
            'installs_prob', 'installs_view', 'installs_organic', 'reattributions', 'reinstalls',
            'reengagements', 'conversions', 'revenue_micros', 'median_ctit_us', 'fast_ctit_installs',
            'click_flood_devices', 'fraud_flags']
MODEL_COLS = ['app_id', 'media_source', 'campaign'] + [
    '%s_%s' % (m, x) for m in MODELS for x in ('installs', 'conversions', 'revenue_micros')]


def row_order(r):
    """installs.csv (and, as the tool does it, conversions.csv): by time, event id, app."""
    return (int(r[3]), r[0], r[1].encode())


TOUCH_RANK = {'': 0, 'impression': 1, 'click': 2}
VIA_RANK = {'none': 0, 'install': 1, 'reengagement': 2}


def full_row_order(name, r):
    """Section 13's order of installs.csv / conversions.csv rows: time, event id, app,
    (conversions: revenue, currency, event name, via,) then the credited touch's event
    id, type, time, retargeting, source and campaign."""
    def touch(t):
        return (t[0] or '0' * 32, TOUCH_RANK[t[1]], int(t[4] or 0), t[5], t[2].encode(), t[3].encode())
    if name == 'installs.csv':
        return (int(r[3]), r[0], r[1].encode()) + touch(r[5:11])
    return (int(r[3]), r[0], r[1].encode(), int(r[4]), r[5].encode(), r[2].encode(), VIA_RANK[r[6]]) + touch(r[7:13])


def money(d):
    # section 8: a currency whose sum is zero is left out (models.csv lists alike)
    return ' '.join('%s:%d' % (k, d[k]) for k in sorted(d) if d[k])


def credit(u):
    return '%d.%06d' % divmod(u, UNIT)


def tables(o):
    """{file name: (header, rows of strings)}, rows in the spec's order."""
    rep, mod = [], []
    for k in sorted(o.rows, key=lambda k: tuple(x.encode() for x in k)):
        r = o.rows[k]
        c = r.c
        med = str(sorted(r.ctits)[(len(r.ctits) - 1) // 2]) if r.ctits else ''
        flags = '|'.join(f for f, n in (('fast_ctit', c['fast_ctit_installs']),
                                        ('click_flood', c['click_flood_devices'])) if n)
        installs = c['installs_click'] + c['installs_prob'] + c['installs_view'] + c['installs_organic']
        rep.append(list(k) + [str(x) for x in (
            c['impressions'], c['clicks'], installs, c['installs_click'], c['installs_prob'], c['installs_view'],
            c['installs_organic'], c['reattributions'], c['reinstalls'], c['reengagements'], c['conversions'],
            money(r.rev), med, c['fast_ctit_installs'], c['click_flood_devices'], flags)])
        mod.append(list(k) + [x for m in MODELS for x in (credit(r.mi[m]), credit(r.mc[m]), money(r.mr[m]))])
    return {'installs.csv': (INST_COLS, sorted(o.installs, key=row_order)),
            'conversions.csv': (CONV_COLS, sorted(o.convs, key=row_order)),
            'report.csv': (REP_COLS, rep), 'models.csv': (MODEL_COLS, mod)}


def parse_args(argv):
    ap = argparse.ArgumentParser(description='reference outputs of unmo-attr for a JSON lines file')
    ap.add_argument('--out')
    ap.add_argument('--app')
    ap.add_argument('--from', dest='frm')
    ap.add_argument('--to')
    ap.add_argument('--config')
    ap.add_argument('--set', action='append', default=[])
    for k in WINDOW_FLAGS:
        ap.add_argument('--' + k.replace('_', '-'), dest=k)
    ap.add_argument('--conversions', action='store_true')  # the oracle always computes them
    ap.add_argument('events')
    return ap.parse_args(argv)


def attribute(argv, cwd='.'):
    """The oracle for one unmo-attr command line (its attribution flags and a JSON lines
    file in place of segments; relative paths from cwd): (tables, report.json subset)."""
    a = parse_args(argv)
    conf = Config()
    if a.config:
        conf.load(os.path.join(cwd, a.config))
    for k in WINDOW_FLAGS:
        if getattr(a, k) is not None:
            conf.cli[k] = parse_val(k, getattr(a, k))
    for kv in a.set:
        k, v = kv.split('=', 1)
        conf.cli[k] = parse_val(k, v)
    o = Oracle(load_events(os.path.join(cwd, a.events)), conf, a.app,
               parse_time(a.frm) if a.frm else None, parse_time(a.to) if a.to else None)
    return tables(o), {'input': o.stats, 'totals': o.totals}


def main(argv=None, cwd='.'):
    a = parse_args(argv)
    if not a.out:
        raise SystemExit('oracle.py: --out DIR is required')
    tabs, rep = attribute(argv, cwd)
    out = os.path.join(cwd, a.out)
    os.makedirs(out, exist_ok=True)
    for name, (header, rows) in tabs.items():
        with open(os.path.join(out, name), 'w', newline='', encoding='utf-8') as f:
            w = csv.writer(f, lineterminator='\n')
            w.writerow(header)
            w.writerows(rows)
    with open(os.path.join(out, 'report.json'), 'w', encoding='utf-8') as f:
        json.dump(rep, f)


if __name__ == '__main__':
    main()
