#!/usr/bin/env python3
"""shapes.py: extra world shapes for run_worlds.py --profile NAME (worlds.py's default is untouched).

Profiles:
  nat     500-3000 events: many devices behind few IPs and UA families (carrier NAT), many
          device-less clicks (retargeting or not), installs and reinstalls near them
  mtouch  few devices with hundreds of touches and many conversions (revenues in several
          currencies, refunds, huge values), for the multi-touch models
  reeng   re-engagement chains: retargeting clicks, several app opens, overlapping windows,
          conversions at window edges
  reinst  reinstalls at the re-attribution window edge, retargeting touches at lookback edges
  dups    a mix of the above with many duplicates (event id copies with other content and
          times, frame copies by sender and sequence)
  range   a mix with --from/--to exactly at event times and --app
  big     10000-40000 events of many small devices (for --mem 4M / 16M splits and row spills)
"""
import random

from worlds import S, H, D, BASE, DEFAULTS, UA_GROUPS, UAS, World, event_lines, fmt, fmt_dur, unalike


def uuid(r):
    return '%08x-%04x-%04x-%04x-%012x' % (r.getrandbits(32), r.getrandbits(16), r.getrandbits(16),
                                          r.getrandbits(16), r.getrandbits(48))


class G:
    """A world under construction with its per-app config."""

    def __init__(self, seed, napps=None):
        self.w = World(seed)
        r = self.r = self.w.r
        self.apps = ['com.app%d' % i for i in range(napps or r.choice([1, 1, 2]))]
        self.dense = r.random() < 0.5
        self.U = U = 600 * S if self.dense else D
        star = {}
        if self.dense:
            star.update({'click_lookback': 7 * U, 'view_lookback': U, 'prob_window': U,
                         'reattribution': 90 * U, 'reengagement': 30 * U, 'retarget_click': 7 * U})
        star['half_life'] = r.choice([7 * U, U, 5 * S, 1, 3 * U + 7])
        if r.random() < 0.3:
            star['view_through'] = False
        if r.random() < 0.4:
            star['reattribution'] = r.choice([2, 5, 10]) * U
        if r.random() < 0.3:
            star['reengagement'] = r.choice([1, 3]) * U
        if r.random() < 0.3:
            star['retarget_click'] = r.choice([1, 2, 10]) * U
        if r.random() < 0.3:
            star['click_lookback'] = r.choice([1, 3, 100]) * U   # 100U may exceed reattribution
        self.conf_lines = ['app * ' + ' '.join('%s=%s' % (k, fmt(k, v)) for k, v in star.items())]
        self.star = star
        self.cfg = {}
        for a in self.apps:
            c = dict(DEFAULTS)
            c.update(star)
            if r.random() < 0.3:
                own = {'view_lookback': r.choice([U // 12, 2 * U]), 'fast_ctit': r.choice([60 * S, H])}
                self.conf_lines.append('app %s ' % a + ' '.join('%s=%s' % (k, fmt(k, v)) for k, v in own.items()))
                c.update(own)
            self.cfg[a] = c
        self.args = ['--conversions', '--config', 'attr.conf']
        self.srcs = ['netA', 'netB', 'netC', 'netD', 'organic', None]
        self.camps = ['c1', 'c2', '']

    def touch(self, typ, t, app, ids, rt=False, src=None, camp=None, **kw):
        r = self.r
        s = src if src is not None else r.choice(self.srcs)
        c = camp if camp is not None else r.choice(self.camps)
        extra = {}
        if s:
            extra['media_source'] = s
        if c:
            extra['campaign'] = c
        if rt:
            extra['retargeting'] = True
        extra.update(kw)
        return self.w.add(typ, t, app, ids, **extra)

    def conv(self, t, app, ids, big=False):
        r = self.r
        cur = r.choice(['USD', 'USD', 'EUR', 'JPY', 'GBP', None])
        vals = [0, 4990000, 1, 3, 7, 1000001, -2990000, -1, -7, r.randrange(1, 10 ** 8),
                -r.randrange(1, 10 ** 8), 999999, 1000003]
        if big:
            vals += [2 ** 63 - 1, -(2 ** 63 - 1), -(2 ** 63), 2 ** 62 + 12345]
        rev = r.choice(vals)
        kw = {'event_name': r.choice(['purchase', 'buy', 'lvl'])}
        if rev or r.random() < 0.5:
            kw['revenue_micros'] = rev
        if cur:
            kw['currency'] = cur
        e = self.w.add('conversion', t, app, ids, **kw)
        if rev and rev != -(2 ** 63) and r.random() < 0.1:
            self.w.add('conversion', t + r.choice([0, 1, 5 * S]), app, ids, **dict(kw, revenue_micros=-rev))
        return e

    def device_ids(self, i, kinds=('ad', 'adcase', 'vendor', 'cuid', 'zad')):
        r = self.r
        kind = r.choice(kinds)
        u = uuid(r)
        return {
            'ad': [{'advertising_id': u}],
            'adcase': [{'advertising_id': u}, {'advertising_id': u.upper()}],
            'vendor': [{'vendor_id': 'V-%d' % i}],
            'cuid': [{'customer_user_id': 'user%d' % i}],
            'zad': [{'advertising_id': '00000000-0000-0000-0000-000000000000', 'vendor_id': 'V%d' % i},
                    {'vendor_id': 'V%d' % i}],
        }[kind]

    def edge(self, anchor, win):
        r = self.r
        return anchor - r.choice([0, 0, 1, win, win, win - 1, win + 1, r.randrange(0, win + 1),
                                  r.randrange(win, 2 * win + 2)])

    # ------------------------------------------------------------------ duplicates
    def dups(self, rate):
        r, evs = self.r, self.w.events
        for e in list(evs):
            x = r.random()
            if x < rate:                      # same event id, later received
                evs.append(dict(e, recv_time_us=e['recv_time_us'] + r.choice([0, 1, 100, -1])))
            elif x < 2 * rate:                # frame copies
                e['_eid'] = 0
                e['sender_id'] = r.randrange(1, 4)
                e['sequence'] = r.randrange(1, 50)
                evs.append(dict(e, recv_time_us=e['recv_time_us'] + r.choice([1, 100])))
                if r.random() < 0.3:          # same frame, another event
                    evs.append(dict(e, event_time_us=e['event_time_us'] + r.choice([0, 1])))
            elif x < 3 * rate and e['_eid']:  # same id, earlier claimed time, other content
                d = dict(e, event_time_us=e['event_time_us'] - r.choice([0, 1, r.randrange(1, self.U)]),
                         recv_time_us=e['recv_time_us'] + r.choice([-1, 1, 100]))
                if e['type'] in ('click', 'impression'):
                    if r.random() < 0.5:
                        d['media_source'] = 'copy'
                    if r.random() < 0.3:
                        d['retargeting'] = not e.get('retargeting', False)
                    if r.random() < 0.2:
                        d['type'] = 'impression' if e['type'] == 'click' else 'click'
                elif e['type'] == 'conversion' and r.random() < 0.5:
                    d['revenue_micros'] = 12345
                evs.append(d)
            elif x < 3.5 * rate and e['_eid']:  # same id, later time (the earlier is kept)
                evs.append(dict(e, event_time_us=e['event_time_us'] + r.choice([1, r.randrange(1, self.U)])))

    # ------------------------------------------------------------------ output
    def finish(self):
        r, evs = self.r, self.w.events
        for e in evs:  # every time stays within 2^62 us of 1970 (section 14)
            for k in ('event_time_us', 'recv_time_us'):
                e[k] = max(-(1 << 62) + 1, min((1 << 62) - 1, e[k]))
        return event_lines(evs, r, varied=False), self.conf_lines, self.args

    def range_args(self, prob=1.0):
        r = self.r
        if r.random() < prob and self.w.events:
            ts = sorted(e['event_time_us'] for e in self.w.events)
            a = r.choice(ts) + r.choice([0, 0, 1, -1])
            b = r.choice(ts) + r.choice([0, 0, 1, -1])
            a, b = min(a, b), max(a, b)
            if a == b:
                b += 1
            if r.random() < 0.3:
                self.args += ['--from', str(a)]
            elif r.random() < 0.3:
                self.args += ['--to', str(b)]
            else:
                self.args += ['--from', str(a), '--to', str(b)]
        if len(self.apps) > 1 and r.random() < 0.5 * prob:
            self.args += ['--app', r.choice([a for a in self.apps if '\x00' not in a])]


# ---------------------------------------------------------------------- shapes
def nat(g, scale=1.0):
    r, U = g.r, g.U
    v4 = ['100.64.%d.%d' % (r.randrange(256), r.randrange(1, 255)) for _ in range(3)]
    ips = r.sample(v4 + ['2001:db8::%x' % r.randrange(1, 99)], r.randrange(1, 4))
    groups = r.sample(UA_GROUPS, r.randrange(1, 3))
    ndev = int(r.randrange(80, 500) * scale)
    span = r.choice([2, 5, 20]) * U
    inst = []
    for i in range(ndev):
        app = r.choice(g.apps)
        c = g.cfg[app]
        opts = g.device_ids(i)
        ids = lambda: dict(r.choice(opts))
        ip, grp = r.choice(ips), r.choice(groups)
        t = BASE + r.randrange(0, span)
        n = r.choice([0, 1, 1, 1, 2, 3])
        for k in range(n):
            kw = {}
            if r.random() < 0.85:
                kw['ip'] = ip if r.random() < 0.8 or ':' in ip else '::ffff:' + ip
                kw['user_agent'] = r.choice(grp)
            g.w.add(r.choice(['install', 'install', 'reinstall']), t, app, ids(), **kw)
            if kw:
                inst.append((app, ip, grp, t, c))
            for _ in range(r.choice([0, 0, 1, 2])):
                g.touch(r.choice(['click', 'impression']), g.edge(t, c['click_lookback']), app, ids(),
                        rt=r.random() < 0.4)
            t += r.choice([c['reattribution'], c['reattribution'] + 1, r.randrange(1, c['reattribution']),
                           r.randrange(1, 3 * U)])
        for _ in range(r.choice([0, 0, 1, 2])):
            to = t + r.randrange(-span, span)
            if r.random() < 0.5:
                g.touch('click', to - r.randrange(0, c['retarget_click'] + 2), app, ids(), rt=True)
            g.w.add(r.choice(['session', 'reengagement']), to, app, ids())
        for _ in range(r.choice([0, 0, 1, 2])):
            g.conv(t + r.randrange(-span, span), app, ids())
    # device-less clicks near the installs, same address and family mostly
    for (app, ip, grp, t, c) in inst:
        for _ in range(r.choice([0, 1, 1, 2, 3])):
            ipx = ip if r.random() < 0.85 else r.choice(ips)
            kw = {'ip': ipx, 'user_agent': r.choice(grp) if r.random() < 0.85 else r.choice(UAS)}
            if r.random() < 0.1:
                kw['advertising_id'] = '0000'
            g.touch('click', g.edge(t, c['prob_window']), app, {}, rt=r.random() < 0.4, **kw)
    for _ in range(int(r.randrange(0, 200) * scale)):
        app = r.choice(g.apps)
        g.touch(r.choice(['click', 'click', 'impression']), BASE + r.randrange(-U, span + U), app, {},
                rt=r.random() < 0.4, ip=r.choice(ips), user_agent=r.choice(r.choice(groups)))


def mtouch(g):
    r, U = g.r, g.U
    for i in range(r.randrange(1, 5)):
        app = r.choice(g.apps)
        c = g.cfg[app]
        opts = g.device_ids(i)
        ids = lambda: dict(r.choice(opts))
        span = r.choice([c['click_lookback'], 2 * c['click_lookback'], 3 * U])
        t0 = BASE + r.randrange(0, 5 * U)
        ntouch = r.randrange(50, 500)
        times = []
        for _ in range(ntouch):
            x = r.random()
            if x < 0.2 and times:
                tt = r.choice(times)                    # a tie in time
            elif x < 0.3 and times:
                tt = r.choice(times) + r.choice([1, -1])
            else:
                tt = t0 + r.randrange(0, span)
            times.append(tt)
            typ = r.choice(['click', 'impression'])
            g.touch(typ, tt, app, ids(), rt=r.random() < 0.2)
        anchors = sorted(set(times))
        for _ in range(r.randrange(1, 4)):
            ti = r.choice(anchors) + r.choice([0, 0, 1, c['view_lookback'], c['click_lookback'],
                                               r.randrange(0, span)])
            g.w.add(r.choice(['install', 'reinstall']), ti, app, ids())
        for _ in range(r.randrange(5, 60)):
            tc = r.choice(anchors) + r.choice([0, 1, c['view_lookback'], c['view_lookback'] + 1,
                                               c['click_lookback'], c['click_lookback'] + 1,
                                               r.randrange(0, span)])
            g.conv(tc, app, ids(), big=r.random() < 0.2)


def reeng(g, ndev=None):
    r, U = g.r, g.U
    for i in range(ndev or r.randrange(3, 25)):
        app = r.choice(g.apps)
        c = g.cfg[app]
        opts = g.device_ids(i)
        ids = lambda: dict(r.choice(opts))
        rc, re_ = c['retarget_click'], c['reengagement']
        t = BASE + r.randrange(0, 5 * U)
        if r.random() < 0.9:
            g.w.add('install', t, app, ids())
            if r.random() < 0.3:
                g.touch('click', t - r.choice([0, 1, U]), app, ids(), rt=r.random() < 0.5)
            if r.random() < 0.2:  # a retargeting click at the install's microsecond
                g.touch('click', t, app, ids(), rt=True)
        opens = []
        tc = t + r.randrange(-U, 3 * U)
        for k in range(r.randrange(1, 8)):
            if r.random() < 0.85:
                g.touch('click', tc, app, ids(), rt=True)
                if r.random() < 0.2:   # a later non-retargeting click, and an rt impression
                    g.touch(r.choice(['click', 'impression']), tc + r.choice([0, 1]), app, ids(),
                            rt=r.random() < 0.5)
            for _ in range(r.randrange(1, 4)):
                to = tc + r.choice([0, 1, rc, rc + 1, rc - 1, r.randrange(0, rc + 1)])
                if r.random() < 0.15:
                    to = tc - 1
                g.w.add(r.choice(['session', 'reengagement']), to, app, ids())
                opens.append(to)
                for dt in r.sample([0, 1, re_, re_ + 1, re_ - 1, r.randrange(0, re_)], r.randrange(0, 4)):
                    g.conv(to + dt, app, ids())
            if r.random() < 0.15:  # a reinstall inside the re-engagement
                tr = r.choice(opens) + r.choice([0, 1, re_ // 2, re_])
                g.w.add(r.choice(['install', 'reinstall']), tr, app, ids())
                if r.random() < 0.5:
                    g.touch('click', tr - r.choice([0, 1, c['click_lookback']]), app, ids(), rt=True)
                g.conv(tr + r.choice([0, 1]), app, ids())
            # the next retargeting click: inside the running re-engagement, at its end, or after
            tc = r.choice(opens) + r.choice([0, 1, re_ - 1, re_, re_ + 1, r.randrange(0, 2 * re_)])
        if r.random() < 0.5:
            g.conv(t + r.choice([-1, 0, 1]), app, ids())


def reinst(g, ndev=None):
    r, U = g.r, g.U
    for i in range(ndev or r.randrange(3, 25)):
        app = r.choice(g.apps)
        c = g.cfg[app]
        opts = g.device_ids(i, kinds=('ad', 'vendor', 'cuid'))
        ids = lambda: dict(r.choice(opts))
        R = c['reattribution']
        ip, ua = '10.9.%d.1' % r.randrange(3), r.choice(r.choice(UA_GROUPS))
        t0 = BASE + r.randrange(0, 5 * U)
        times = [t0]
        for k in range(r.randrange(1, 5)):
            base = r.choice(times)
            times.append(base + r.choice([R, R, R + 1, R - 1, r.randrange(1, R), 2 * R, 2 * R + 1]))
        if r.random() < 0.2:
            times.append(t0)                       # the same microsecond
        for ti in times:
            kw = {'ip': ip, 'user_agent': ua} if r.random() < 0.6 else {}
            g.w.add(r.choice(['install', 'reinstall', 'reinstall']), ti, app, ids(), **kw)
            for _ in range(r.randrange(0, 4)):
                typ = r.choice(['click', 'click', 'impression'])
                win = c['click_lookback'] if typ == 'click' else c['view_lookback']
                g.touch(typ, g.edge(ti, win), app, ids(), rt=r.random() < 0.6)
            if kw and r.random() < 0.5:
                for _ in range(r.randrange(1, 3)):
                    g.touch('click', g.edge(ti, c['prob_window']), app, {}, rt=r.random() < 0.6,
                            ip=ip, user_agent=ua)
            if r.random() < 0.4:
                to = ti + r.choice([0, 1, U])
                g.w.add('session', to, app, ids())
            if r.random() < 0.5:
                g.conv(ti + r.choice([0, 1, -1, U]), app, ids())


def big(g):
    r, U = g.r, g.U
    ndev = r.randrange(3000, 9000)
    ips = ['172.16.%d.%d' % (r.randrange(4), r.randrange(1, 9)) for _ in range(6)]
    for i in range(ndev):
        app = r.choice(g.apps)
        c = g.cfg[app]
        opts = g.device_ids(i)
        ids = lambda: dict(r.choice(opts))
        t = BASE + r.randrange(0, 30 * U)
        ip, ua = r.choice(ips), r.choice(UAS)
        for _ in range(r.choice([0, 1, 2, 3, 4])):
            g.touch(r.choice(['click', 'impression']), g.edge(t, c['click_lookback']), app, ids(),
                    rt=r.random() < 0.3)
        if r.random() < 0.7:
            kw = {'ip': ip, 'user_agent': ua} if r.random() < 0.5 else {}
            g.w.add(r.choice(['install', 'reinstall']), t, app, ids(), **kw)
            if kw and r.random() < 0.4:
                g.touch('click', g.edge(t, c['prob_window']), app, {}, rt=r.random() < 0.3,
                        ip=ip, user_agent=ua)
            if r.random() < 0.2:
                g.w.add('install', t + r.choice([c['reattribution'], c['reattribution'] + 1, U]), app, ids())
        if r.random() < 0.3:
            tc = t + r.randrange(0, 5 * U)
            g.touch('click', tc, app, ids(), rt=True)
            g.w.add('session', tc + r.choice([0, 1, c['retarget_click']]), app, ids())
        for _ in range(r.choice([0, 0, 1, 2])):
            g.conv(t + r.randrange(-U, 40 * U), app, ids())


E62 = 1 << 62

UA_FRAGS = ['iPhone OS ', 'iphone os', 'CPU OS ', 'cpu os', 'Android', 'ANDROID', 'android ', 'iOS', 'ios',
            ' iOS ', '(iOS/', 'kiOS', '_iOS ', 'iOS  ', 'Darwin/', 'darwin/', 'DARWIN/', 'CFNetwork', 'CFNetwork/1',
            'iPad', 'iPhone', 'Windows', 'windows', 'Mac OS X', 'mac os x', 'Linux', 'LINUX', 'okhttp/',
            'App', 'Game/2', ' ', '  ', '/', '_', '.', ';', '(', ')', '\t', '\x01', '\x7f', 'é', '日本', '-', '+']
UA_DIGITS = ['0', '1', '7', '11', '14', '014', '16', '17', '18', '24', '25', '26', '99', '0017', '12345678',
             '99999999999999999999', '17_1', '17.4', '1.2']


def rand_ua(r):
    parts = []
    for _ in range(r.randrange(1, 5)):
        parts.append(r.choice(UA_FRAGS))
        if r.random() < 0.6:
            parts.append(r.choice(UA_DIGITS))
    ua = ''.join(parts)
    return ua if ua.strip() or r.random() < 0.5 else ua + 'x'


def uafam(seed):
    """Pairs of random user agents built from the family table's texts: an install with one,
    a device-less click with the other, on an address of their own: probabilistic iff the
    families are equal (the oracle computes them)."""
    g = G(seed, napps=1)
    r = g.r
    app = g.apps[0]
    pool = [rand_ua(r) for _ in range(40)]
    for i in range(r.randrange(100, 300)):
        ip = '10.%d.%d.%d' % (i // 65536 % 256, i // 256 % 256, i % 256)
        t = BASE + r.randrange(0, 10 * g.U)
        ua1 = r.choice(pool)
        ua2 = r.choice(pool) if r.random() < 0.7 else ua1
        g.w.add('install', t, app, {'advertising_id': uuid(r)}, ip=ip, user_agent=ua1)
        g.touch('click', t - r.randrange(0, g.U // 2), app, {}, ip=ip, user_agent=ua2)
    return g


def extreme(seed):
    """Times near both ends of the valid range (|t| < 2^62) and near 0, windows up to 2^62."""
    g = G(seed)
    r = g.r
    wins = [0, 1, E62, E62 - 1, E62 // 2, 7 * D]
    star = {k: r.choice(wins) for k in ('click_lookback', 'view_lookback', 'prob_window', 'reattribution',
                                         'reengagement', 'retarget_click')}
    star['half_life'] = r.choice([1, E62, 7 * D, 3])
    star['fast_ctit'] = r.choice([10 * S, E62])
    g.conf_lines = ['app * ' + ' '.join('%s=%d' % (k, v) for k, v in star.items())]
    for a in g.apps:
        g.cfg[a] = dict(DEFAULTS, **star)
    bases = [-E62 + 1, -1, 0, E62 - 1]
    for i in range(r.randrange(3, 12)):
        app = r.choice(g.apps)
        opts = g.device_ids(i)
        ids = lambda: dict(r.choice(opts))
        b = r.choice(bases)

        def tm():
            x = b + r.choice([0, 1, -1, 2, -2, 1000, -1000, r.randrange(-10 ** 6, 10 ** 6),
                              r.randrange(-E62 // 2, E62 // 2)])
            x = max(-E62 + 1, min(E62 - 1, x))
            if -62167219200 * S <= x < -30610224000 * S:  # years 0-999: finding 1, kept out
                x = -1 - r.randrange(10 ** 6)
            return x
        ip, ua = '10.1.1.%d' % r.randrange(1, 3), r.choice(UA_GROUPS[0])
        for _ in range(r.randrange(1, 10)):
            g.touch(r.choice(['click', 'impression']), tm(), app, ids(), rt=r.random() < 0.4)
        for _ in range(r.randrange(0, 4)):
            kw = {'ip': ip, 'user_agent': ua} if r.random() < 0.5 else {}
            g.w.add(r.choice(['install', 'reinstall']), tm(), app, ids(), **kw)
            if kw and r.random() < 0.5:
                g.touch('click', tm(), app, {}, rt=r.random() < 0.4, ip=ip, user_agent=ua)
        for _ in range(r.randrange(0, 3)):
            g.w.add('session', tm(), app, ids())
        for _ in range(r.randrange(0, 4)):
            g.conv(tm(), app, ids(), big=True)
    for e in g.w.events:  # receive times stay in range too
        e['recv_time_us'] = max(-E62 + 1, min(E62 - 1, e['recv_time_us']))
    if r.random() < 0.3:
        g.range_args()
    return g


def hugedev(g):
    """1-3 devices with thousands of touches, installs, opens and conversions, among many
    small devices: at --mem 1M a partition is split twice and the big device still loaded."""
    r, U = g.r, g.U
    for i in range(r.randrange(1, 4)):
        app = r.choice(g.apps)
        c = g.cfg[app]
        opts = g.device_ids(1000000 + i)
        ids = lambda: dict(r.choice(opts))
        span = r.choice([10, 40, 200]) * U
        t0 = BASE + r.randrange(0, 5 * U)
        for _ in range(r.randrange(2000, 8000)):
            g.touch(r.choice(['click', 'impression']), t0 + r.randrange(0, span), app, ids(),
                    rt=r.random() < 0.3)
        for _ in range(r.randrange(1, 30)):
            g.w.add(r.choice(['install', 'reinstall']), t0 + r.randrange(0, span), app, ids())
        for _ in range(r.randrange(5, 60)):
            g.w.add(r.choice(['session', 'reengagement']), t0 + r.randrange(0, span), app, ids())
        for _ in range(r.randrange(20, 150)):
            g.conv(t0 + r.randrange(0, span), app, ids())
    g2 = g
    reeng(g2, r.randrange(50, 300))
    nat(g2, 1)


NAMES = ['', ',', '"', '""', 'a,b', 'a\nb', 'a\r\nb', '\x00x', 'x\x00', 'x\x00a', 'x\x00b', 'é', '日本', 'A', 'a', 'Z',
         '\t', ' ', ' lead', 'trail ', 'organic', '(none)', 'x' * 1024, '\u00c0', '\u00c0\u00c0', '\x1b[31m', '\u202e',
         '\u200b', '😀', 'a"b"c', '=1+2', 'net\\x']


def names(g):
    """Awkward media source and campaign names (NUL, quotes, newlines, 1024 bytes, bidi marks,
    reserved names with campaigns) and many campaigns, on re-engagement and NAT worlds."""
    r = g.r
    g.srcs = [r.choice(NAMES) or None for _ in range(6)] + ['organic', '(none)', None]
    g.camps = [r.choice(NAMES) for _ in range(6)] + ['c%d' % i for i in range(r.choice([3, 300]))]
    reeng(g, r.randrange(5, 20))
    nat(g, 0.3)
    if len(g.apps) > 1 or r.random() < 0.3:
        a = r.choice(['com.z,"odd"', 'app\x00x', 'app\x00y', 'é'])
        if a not in g.apps:
            g.apps.append(a)
            g.cfg[a] = dict(DEFAULTS, **g.star)


def mtcache(g):
    """Runs of conversions with no touch between them, placed where a touchpoint leaves its
    lookback (t_touch + window, + 1): consecutive conversions whose touchpoint sets differ
    only in the middle, or only at the start, or not at all (time-decay weight reuse)."""
    r, U = g.r, g.U
    for i in range(r.randrange(2, 10)):
        app = r.choice(g.apps)
        c = g.cfg[app]
        opts = g.device_ids(i)
        ids = lambda: dict(r.choice(opts))
        t0 = BASE + r.randrange(0, 5 * U)
        span = r.choice([c['view_lookback'], c['click_lookback'], 3 * U])
        touches = []
        for _ in range(r.randrange(3, 40)):
            typ = r.choice(['click', 'impression'])
            tt = t0 + r.randrange(0, span)
            g.touch(typ, tt, app, ids(), rt=r.random() < 0.2)
            touches.append((tt, typ))
        if r.random() < 0.5:
            g.w.add('install', t0 + r.randrange(0, span), app, ids())
        last = max(t for t, _ in touches)
        edges = sorted(set(tt + (c['click_lookback'] if typ == 'click' else c['view_lookback']) + d
                           for tt, typ in touches for d in (0, 1)))
        for te in edges:
            if te >= last and r.random() < 0.7:
                for _ in range(r.choice([1, 1, 2])):
                    g.conv(te, app, ids())
        # a second burst of touches later, then conversions again
        t1 = last + r.randrange(0, 2 * U)
        for _ in range(r.randrange(0, 10)):
            g.touch(r.choice(['click', 'impression']), t1 + r.randrange(0, U), app, ids())
            g.conv(t1 + r.randrange(0, 2 * U), app, ids())


# Profiles of one generator on a plain world: (generator, share of duplicates).
SINGLE = {
    'mtouch': (mtouch, 0), 'reeng': (reeng, 0.02), 'reinst': (reinst, 0.02),
    'hugedev': (hugedev, 0.01), 'names': (names, 0.02), 'mtcache': (mtcache, 0),
}


def gen_shape(seed, profile):
    r0 = random.Random(seed * 7919 + 17)
    if profile in SINGLE:
        fn, dups = SINGLE[profile]
        g = G(seed)
        fn(g)
        if dups:
            g.dups(dups)
    elif profile == 'nat':
        g = G(seed)
        nat(g, scale=r0.choice([1, 2, 3]))
        g.dups(0.01)
    elif profile == 'dups':
        g = G(seed)
        k = r0.choice(['nat', 'reeng', 'reinst', 'mtouch'])
        if k == 'nat':
            nat(g, 0.3)
        else:
            SINGLE[k][0](g)
        g.dups(0.08)
    elif profile == 'range':
        g = G(seed, napps=r0.choice([1, 2, 3]))
        reeng(g, 6)
        reinst(g, 6)
        nat(g, 0.2)
        g.dups(0.03)
        g.range_args()
    elif profile == 'extreme':
        g = extreme(seed)
        g.dups(0.02)
    elif profile == 'uafam':
        g = uafam(seed)
    elif profile == 'mix':
        g = G(seed, napps=r0.choice([1, 2, 3]))
        names(g)
        reinst(g, 20)
        mtcache(g)
        nat(g, 1)
        g.dups(0.03)
        g.range_args(0.5)
    elif profile == 'big':
        g = G(seed, napps=r0.choice([1, 2]))
        big(g)
        g.dups(0.01)
    else:
        raise SystemExit('unknown profile %r' % profile)
    return g.finish()
