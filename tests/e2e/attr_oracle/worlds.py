#!/usr/bin/env python3
"""worlds.py: adversarial random worlds for the attr_oracle e2e test.

Written from docs/attribution.md alone. A seed gives one small world (about
80 events, 1-3 apps, a few devices) built to sit on the spec's edges: windows
hit exactly and missed by 1 us, equal times broken by type, receive time and
event id, several spellings of a device (UUID case, zeroed ids, '-0000',
dashes-only ids), events with neither device id nor event id, probabilistic
clicks behind shared addresses and user-agent spellings of one family,
retargeting, re-engagements, floods, duplicates (copies by event id, frame
copies by sender and sequence, copies claiming earlier times), refunds,
reserved media source names, awkward names, per-app attr.conf lines and
flags. No two touches or install events tie on group order rules 1-4 unless
identical: rule 5 is not modelled by the oracle.

    worlds.py SEED DIR   # DIR/events.jsonl, DIR/args (unmo-attr flags), DIR/attr.conf if any

Standard library only.
"""
import json
import os
import random
import sys

S = 1000000
H = 3600 * S
D = 86400 * S
BASE = 1772323200 * S  # 2026-03-01T00:00:00Z

DEFAULTS = {
    'click_lookback': 7 * D, 'view_lookback': 1 * D, 'view_through': True,
    'prob_window': 1 * D, 'reattribution': 90 * D, 'reengagement': 30 * D,
    'retarget_click': 7 * D, 'half_life': 7 * D, 'fast_ctit': 10 * S,
    'flood_clicks': 50, 'flood_window': 24 * H,
}

# User agents in groups of spellings that section 5's table gives one family
# (the oracle computes the families itself): Android without a version or a
# space, digits as written, 'iPhone OS' without '_', the word iOS, Darwin
# kernels on both sides of 17 and 25, a token cut at a control character.
UA_GROUPS = [
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15',
     'Mozilla/5.0 (iPhone OS 17 like Mac OS X)', 'MyApp/3.2 (iPhone; iOS 17.4; Scale/3.00)',
     'App/1 ios/17', 'MyApp/1 CFNetwork/1490.0.4 Darwin/23.2.0'],
    ['Mozilla/5.0 (iPad; CPU OS 16_0 like Mac OS X)', 'Mozilla/5.0 (iPad; CPU OS  16 like Mac OS X)',
     'App/2 CFNetwork/1 Darwin/22.1'],
    ['x (iPhone OS like)', 'Old/1 CFNetwork/1 Darwin/16.0.0', 'iPhone'],
    ['Game/2 CFNetwork/3 Darwin/25.0.0', 'x Darwin/25'],
    ['Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8)', 'Mozilla/5.0 (Linux; Android 14.1; SM-S918B)', 'App Android14'],
    ['App ANDROID 014', 'x android  014'],
    ['Mozilla/5.0 (Linux; Android)', 'Android;'],
    ['Mozilla/5.0 (Linux; Android 13; Pixel 7)'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64)'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)'],
    ['X11; Linux x86_64'],
    ['okhttp/4.9.0', 'OKHTTP/5', 'okhttp 3'],
    ['App (kiOS 17)', 'app/2'],
    ['\tbot', '/x'],
]
UAS = [ua for g in UA_GROUPS for ua in g]


def fmt_dur(us):
    for unit, n in (('d', D), ('h', H), ('m', 60 * S), ('s', S), ('ms', 1000)):
        if us % n == 0 and us >= n:
            return '%d%s' % (us // n, unit)
    return str(us)


class World:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.seed = seed
        self.events = []
        self.used_ids = set()

    def eid(self):
        r = self.r
        while True:
            c = r.random()
            if c < 0.15:
                v = r.randrange(1, 64)
            elif c < 0.3:
                v = (1 << 127) | r.getrandbits(127)
            else:
                v = r.getrandbits(128)
            if v and v not in self.used_ids:
                self.used_ids.add(v)
                return v

    def add(self, typ, t, app, ids, **kw):
        r = self.r
        e = {'type': typ, 'event_time_us': t, 'app_id': app}
        e['recv_time_us'] = t + r.choice([0, 1, 5, 1000, 2 * S, r.randrange(10 ** 7)])
        e['_eid'] = self.eid()
        e.update(ids)
        e.update(kw)
        self.events.append(e)
        return e

    def name(self, base):
        r = self.r
        c = r.random()
        if c < 0.04:
            return base + ',x'
        if c < 0.07:
            return base + '"q"'
        if c < 0.10:
            return base + 'é日本'
        return base


def unalike(evs):
    """Group order rule 5 (the records' bytes) is not modelled: no two touches or
    install events of one app, and no two copies of one event id, may be alike in
    time, type, receive time and event id unless identical. Later ones move on by 1 us."""
    seen = {}
    for e in evs:
        if e['type'] in ('click', 'impression', 'install', 'reinstall') or e['_eid']:
            while True:
                k = (e['app_id'], e['event_time_us'], e['type'], e['recv_time_us'], e['_eid'])
                if seen.setdefault(k, e) is e or seen[k] == e:
                    break
                e['recv_time_us'] += 1


def event_lines(evs, r, varied):
    """The events as JSON lines, spaced (unalike) and shuffled. varied: some event
    ids spelled as upper-case UUIDs and half the lines with non-ASCII escaped, which
    must read the same (without it, r is drawn only for the shuffle)."""
    unalike(evs)
    r.shuffle(evs)
    lines = []
    for e in evs:
        e = dict(e)
        v = e.pop('_eid')
        if v:
            h = '%032x' % v
            if varied and r.random() < 0.05:
                h = ('%s-%s-%s-%s-%s' % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])).upper()
            e['event_id'] = h
        lines.append(json.dumps(e, ensure_ascii=not varied or r.random() < 0.5))
    return lines


def gen(seed):
    w = World(seed)
    r = w.r
    napps = r.choice([1, 1, 2, 3])
    apps = ['com.app%d' % i for i in range(napps)]
    if r.random() < 0.1:
        apps[-1] = 'com.z,"odd"'
    # per-app configuration
    conf_lines = []
    cfg = {}
    star = {}
    if r.random() < 0.4:
        k = r.choice(['click_lookback', 'view_lookback', 'prob_window', 'reattribution'])
        star[k] = r.choice([2 * H, 1 * D, 3 * D, 10 * D]) if k != 'reattribution' else r.choice([5 * D, 20 * D])
    dense = r.random() < 0.5
    U = D
    if dense:
        U = 600 * S   # 10 minutes play the role of a day
        star.update({'click_lookback': 7 * U, 'view_lookback': U, 'prob_window': U,
                     'reattribution': 90 * U, 'reengagement': 30 * U, 'retarget_click': 7 * U,
                     'half_life': r.choice([7 * U, U, 5 * S]), 'fast_ctit': r.choice([10 * S, 60 * S])})
        for k in r.sample(sorted(star), r.randrange(0, 4)):
            if k not in ('half_life', 'fast_ctit'):
                star[k] = r.choice([1, 2, 3, 5, 20]) * U
    small_flood = r.random() < 0.5
    if small_flood:
        star['flood_clicks'] = r.choice([2, 3, 4])
        star['flood_window'] = r.choice([U // 24, U // 144])
    if star:
        conf_lines.append('app * ' + ' '.join('%s=%s' % (k, fmt(k, v)) for k, v in star.items()))
    for a in apps:
        c = dict(DEFAULTS)
        c.update(star)
        own = {}
        if r.random() < 0.5 and ',' not in a:
            for k in r.sample(['click_lookback', 'view_lookback', 'view_through', 'prob_window',
                               'reattribution', 'reengagement', 'retarget_click', 'half_life',
                               'fast_ctit'], r.randrange(1, 4)):
                if k == 'view_through':
                    own[k] = r.random() < 0.5
                elif k == 'reattribution':
                    own[k] = r.choice([3 * U, 10 * U, 40 * U])
                elif k == 'reengagement':
                    own[k] = r.choice([1 * U, 5 * U])
                elif k == 'half_life':
                    own[k] = r.choice([U // 24, 1 * U, 3 * S])
                elif k == 'fast_ctit':
                    own[k] = r.choice([1 * H, 60 * S])
                else:
                    own[k] = r.choice([U // 12, U // 2, 1 * U, 2 * U, 5 * U, 30 * U])
            conf_lines.append('app %s ' % a + ' '.join('%s=%s' % (k, fmt(k, v)) for k, v in own.items()))
        c.update(own)
        cfg[a] = c
    r.shuffle(conf_lines)

    ips = ['10.0.0.%d' % i for i in range(1, 4)] + ['2001:db8::1']
    devices = []
    ndev = r.randrange(2, 9)
    for i in range(ndev):
        app = r.choice(apps)
        kind = r.choices(['ad', 'adcase', 'vendor', 'cuid', 'zad', 'zboth', 'none', 'adv', 'noid', 'dash'],
                         [4, 2, 2, 2, 2, 1, 1, 1, 2, 1])[0]
        u = '%08x-%04x-%04x-%04x-%012x' % (r.getrandbits(32), r.getrandbits(16), r.getrandbits(16),
                                           r.getrandbits(16), r.getrandbits(48))
        # zeroed ids (only '0' and '-', at least one '0'), a leading '-' included
        zeros = r.choice(['00000000-0000-0000-0000-000000000000', '0000', '0', '-0000', '-0-', '0-'])
        ids_opts = {
            'ad': [{'advertising_id': u}],
            'adcase': [{'advertising_id': u}, {'advertising_id': u.upper()}],
            'vendor': [{'vendor_id': 'V-%d' % i}],
            'cuid': [{'customer_user_id': 'user%d' % i}],
            'zad': [{'advertising_id': zeros, 'vendor_id': 'V%d' % i}, {'vendor_id': 'V%d' % i}],
            'zboth': [{'advertising_id': zeros, 'vendor_id': zeros, 'customer_user_id': 'c%d' % i},
                      {'customer_user_id': 'c%d' % i}],
            'none': [{}],
            'noid': [{}],  # no device id and (below) no event id: keyed by content
            'dash': [{'vendor_id': r.choice(['-', '--'])}],  # dashes without a '0' are a key
            'adv': [{'advertising_id': u, 'vendor_id': 'VV%d' % i}],
        }[kind]
        ip = r.choice(ips)
        ua = r.choice(UAS)
        devices.append((app, ids_opts, ip, ua, kind))

    # 'organic' and '(none)' are reserved row names, None an absent media source (section 13)
    srcs = ['netA', 'netB', 'netC', 'netA', 'netB', 'netC', 'organic', '(none)', None]
    camps = ['c1', 'c2', '']

    def touch(typ, t, app, ids, rt=False, src=None, camp=None, **kw):
        s = src or r.choice(srcs)
        c = camp if camp is not None else r.choice(camps)
        extra = {'media_source': s if s in ('organic', '(none)') else w.name(s)} if s else {}
        if c:
            extra['campaign'] = w.name(c)
        if rt:
            extra['retargeting'] = True
        extra.update(kw)
        return w.add(typ, t, app, ids, **extra)

    def around(anchor, win):
        """time at an edge of [anchor - win, anchor]"""
        return anchor - r.choice([0, 0, 1, win, win, win + 1, r.randrange(0, win + 1), r.randrange(win, 2 * win + 2)])

    prob_installs = []
    prob_ua = {}
    for (app, ids_opts, ip, ua, kind) in devices:
        first_event = len(w.events)
        c = cfg[app]
        ids = lambda: dict(r.choice(ids_opts))
        t = BASE + r.randrange(0, 20 * U)
        n_inst = r.choice([0, 1, 1, 1, 2, 3])
        anchors = []
        inst_times = []
        for k in range(n_inst):
            inst_times.append(t)
            if k == 0 or r.random() < 0.5:
                t += r.choice([c['reattribution'], c['reattribution'] + 1, r.randrange(1, c['reattribution'])])
            else:
                t += r.randrange(1, 3 * c['reattribution'])
        if r.random() < 0.1 and inst_times:
            inst_times.append(inst_times[0])  # same-microsecond install
        for ti in inst_times:
            kw = {}
            if r.random() < 0.7:
                kw['ip'] = ip if r.random() < 0.8 else ('::ffff:' + ip if '.' in ip else ip)
                kw['user_agent'] = ua
            e = w.add(r.choice(['install', 'install', 'reinstall']), ti, app, ids(), **kw)
            if ti in anchors and r.random() < 0.5:  # same microsecond, same receive time: event ids decide
                e['recv_time_us'] = next(x for x in w.events if x['event_time_us'] == ti)['recv_time_us']
            anchors.append(ti)
            if kw:
                prob_installs.append((app, ip, ti, c))
                prob_ua[(app, ip, ti)] = ua
            # touches around install
            for _ in range(r.randrange(0, 4)):
                typ = r.choice(['click', 'click', 'impression'])
                win = c['click_lookback'] if typ == 'click' else c['view_lookback']
                touch(typ, around(ti, win), app, ids(), rt=r.random() < 0.3)
            if r.random() < 0.3:  # ties
                tt = ti - r.randrange(0, c['view_lookback'] + 1)
                a = touch('click', tt, app, ids(), rt=r.random() < 0.3)
                b = touch(r.choice(['click', 'impression']), tt, app, ids(), rt=r.random() < 0.3)
                if r.random() < 0.5:
                    b['recv_time_us'] = a['recv_time_us']
            if r.random() < 0.2:  # fast ctit
                touch('click', ti - r.choice([0, 1, c['fast_ctit'] - 1, c['fast_ctit'], c['fast_ctit'] + 1]),
                      app, ids(), rt=r.random() < 0.3)
        # retargeting clicks + opens + conversions
        last = inst_times[-1] if inst_times else BASE
        for _ in range(r.randrange(0, 4)):
            tc = last + r.randrange(-2 * U, 40 * U)
            if r.random() < 0.8:
                touch('click', tc, app, ids(), rt=True)
            to = tc + r.choice([0, 1, c['retarget_click'], c['retarget_click'] + 1, r.randrange(0, 3 * U)])
            if r.random() < 0.3:
                to -= r.choice([1, U // 24])
            w.add(r.choice(['session', 'reengagement']), to, app, ids())
            anchors.append(to)
            for dt in r.sample([0, 1, c['reengagement'], c['reengagement'] + 1, r.randrange(0, c['reengagement'])],
                               r.randrange(0, 3)):
                conv(w, r, to + dt, app, ids())
            if r.random() < 0.3:
                touch('click', to + r.randrange(-U // 24, 30 * U), app, ids(), rt=True)
        # plain conversions
        for _ in range(r.randrange(0, 4)):
            base = r.choice(anchors) if anchors else BASE + r.randrange(0, 30 * U)
            conv(w, r, base + r.choice([-1, 0, 1, r.randrange(0, 20 * U), -r.randrange(0, 20 * U)]), app, ids())
        # flood
        if r.random() < 0.2:
            fc, fw = c['flood_clicks'], c['flood_window']
            if fc <= 6:
                s0 = BASE + r.randrange(0, 30 * U)
                src, camp = r.choice(srcs[:3]), r.choice(camps)
                k = r.choice([fc - 1, fc, fc + 1])
                times = [s0] + sorted(s0 + r.randrange(0, fw + 1) for _ in range(k - 2)) + [s0 + r.choice([fw, fw + 1])]
                for tt in times:
                    touch('click', tt, app, ids(), src=src, camp=camp)
        # random extra touches
        for _ in range(r.randrange(0, 4)):
            touch(r.choice(['click', 'impression']), BASE + r.randrange(0, 40 * U), app, ids(), rt=r.random() < 0.3)
        if r.random() < 0.2:
            w.add(r.choice(['session', 'conversion']), BASE + r.randrange(0, 20 * U), app, ids())
        if kind == 'noid':
            # neither device id nor event id: each event a device of its own (key kind
            # content) unless identical in every field; with a sender id, copies that
            # differ only in the receive time are one event
            for e in w.events[first_event:]:
                if e['type'] not in ('click', 'impression'):
                    e['_eid'] = 0
                    x = r.random()
                    if x < 0.15:
                        w.events.append(dict(e))
                    elif x < 0.3:
                        e['sender_id'], e['sequence'] = r.randrange(1, 4), r.randrange(1, 1000)
                        w.events.append(dict(e, recv_time_us=e['recv_time_us'] + r.choice([0, 1, 100])))

    # a household behind one address: devices of one app and family install near
    # the same time, one after an earlier install (a reinstall), and device-less
    # retargeting clicks precede them: each device decides on its own whether
    # the click is credited to it (section 5)
    if r.random() < 0.3:
        app, ip, ua = r.choice(apps), r.choice(ips), r.choice(UAS)
        c = cfg[app]
        t = BASE + r.randrange(0, 20 * U)
        for k in range(r.randrange(2, 4)):
            ids = {'customer_user_id': 'home%d' % k}
            if k == 0 or r.random() < 0.5:
                w.add('install', t - r.randrange(1, c['reattribution'] + 1), app, ids, ip=ip, user_agent=ua)
            ti = t + r.randrange(0, U // 24)
            w.add(r.choice(['install', 'reinstall']), ti, app, ids, ip=ip, user_agent=ua)
            prob_installs.append((app, ip, ti, c))
            prob_ua[(app, ip, ti)] = ua
        for _ in range(r.randrange(1, 3)):
            touch('click', t - r.randrange(0, c['prob_window'] // 2 + 1), app, {}, rt=r.random() < 0.7,
                  ip=ip, user_agent=ua)

    # probabilistic (device-less) clicks
    for (app, ip, ti, c) in prob_installs:
        for _ in range(r.randrange(0, 3)):
            ua = prob_ua[(app, ip, ti)]
            ua2 = r.choices([ua, r.choice(next(g for g in UA_GROUPS if ua in g)), r.choice(UAS)], [2, 6, 2])[0]
            ipx = ip if r.random() < 0.7 else ('::ffff:' + ip if '.' in ip and r.random() < 0.5 else r.choice(ips))
            kw = {'ip': ipx, 'user_agent': ua2}
            if r.random() < 0.2:
                kw['advertising_id'] = '00000000-0000-0000-0000-000000000000'
            touch('click', around(ti, c['prob_window']), app, {}, rt=r.random() < 0.3, **kw)
    # device-less impressions / clicks without ip
    for _ in range(r.randrange(0, 3)):
        touch(r.choice(['click', 'impression']), BASE + r.randrange(0, 30 * U), r.choice(apps), {},
              **({'ip': r.choice(ips), 'user_agent': r.choice(UAS)} if r.random() < 0.5 else {}))

    # duplicates
    evs = w.events
    for e in list(evs):
        x = r.random()
        if x < 0.05:
            d = dict(e)
            d['recv_time_us'] = e['recv_time_us'] + r.choice([0, 1, 100])
            evs.append(d)
        elif x < 0.09:
            e['_eid'] = 0
            e['sender_id'] = r.randrange(1, 4)
            e['sequence'] = r.randrange(1, 1000)
            d = dict(e)
            d['recv_time_us'] = e['recv_time_us'] + r.choice([1, 100])
            evs.append(d)
            if r.random() < 0.3:  # same frame, different event
                d2 = dict(e)
                d2['event_time_us'] = e['event_time_us'] + 1
                evs.append(d2)
        elif x < 0.12 and e['_eid']:
            # a copy of one event id claiming an earlier time (and another source):
            # the first in group order, the earliest time, is kept
            d = dict(e, event_time_us=e['event_time_us'] - r.choice([1, r.randrange(1, U)]),
                     recv_time_us=e['recv_time_us'] + r.choice([-1, 1, 100]))
            if 'media_source' in e and r.random() < 0.5:
                d['media_source'] = 'copy'
            evs.append(d)
    lines = event_lines(evs, r, varied=True)
    args = ['--conversions']
    if conf_lines:
        args += ['--config', 'attr.conf']
    if r.random() < 0.2:
        args += ['--from', str(BASE + r.randrange(0, 20 * U)), '--to', str(BASE + r.randrange(20 * U, 60 * U))]
    if r.random() < 0.15 and len(apps) > 1:
        args += ['--app', r.choice(apps)]
    if r.random() < 0.1:
        args += ['--click-lookback', fmt_dur(r.choice([1, 2, 5]) * U)]
    if r.random() < 0.1:
        args += ['--set', 'view_through=' + r.choice(['on', 'off'])]
    if r.random() < 0.05:
        args += ['--reattribution', fmt_dur(r.choice([1, 2, 5]) * U)]
    return lines, conf_lines, args


def fmt(k, v):
    if k == 'view_through':
        return 'on' if v else 'off'
    if k == 'flood_clicks':
        return str(v)
    return fmt_dur(v)


def conv(w, r, t, app, ids):
    cur = r.choice(['USD', 'USD', 'EUR', 'JPY', None])
    rev = r.choice([0, 4990000, 1, 3, 1000001, -2990000, r.randrange(1, 10 ** 8), 2 ** 63 - 1])
    kw = {'event_name': r.choice(['purchase', 'level,up', 'buy']), 'revenue_micros': rev}
    if cur:
        kw['currency'] = cur
    if rev == 0 and r.random() < 0.5:
        del kw['revenue_micros']
    w.add('conversion', t, app, ids, **kw)
    if rev and r.random() < 0.15:  # its refund: the currency's sum is zero
        w.add('conversion', t + r.randrange(0, 10 * S), app, ids, **dict(kw, revenue_micros=-rev))


def write(seed, out, profile='default'):
    os.makedirs(out, exist_ok=True)
    if profile == 'default':
        lines, conf, args = gen(seed)
    else:
        import shapes
        lines, conf, args = shapes.gen_shape(seed, profile)
    with open(os.path.join(out, 'events.jsonl'), 'w', encoding='utf-8') as f:
        f.write('\n'.join(lines) + '\n')
    if conf:
        with open(os.path.join(out, 'attr.conf'), 'w', encoding='utf-8') as f:
            f.write('# seed %d\n' % seed + '\n'.join(conf) + '\n')
    elif os.path.exists(os.path.join(out, 'attr.conf')):
        os.remove(os.path.join(out, 'attr.conf'))
    with open(os.path.join(out, 'args'), 'w') as f:
        f.write('\n'.join(args) + '\n')


def main():
    write(int(sys.argv[1]), sys.argv[2])


if __name__ == '__main__':
    main()
