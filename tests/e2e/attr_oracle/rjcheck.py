"""rjcheck.py: report.json's rows against the same run's report.csv and models.csv.

Section 13 says the three files hold the same rows; run_worlds.py calls check()
on every output directory it compares with the oracle. Standard library only.
"""
import csv
import json
import os


def money(d):
    """A revenue_micros object as the CSV column writes it."""
    return ' '.join('%s:%d' % (k, d[k]) for k in sorted(d, key=lambda k: k.encode()) if d[k])


def credit(units):
    return '%d.%06d' % divmod(units, 1000000)


def read_csv(path):
    with open(path, newline='', encoding='utf-8') as f:
        rows = list(csv.reader(f))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def check(outs):
    """Differences found in the output directories outs (a list of strings)."""
    bad = []
    for out in outs:
        with open(os.path.join(out, 'report.json'), encoding='utf-8') as f:
            rows = json.load(f)['rows']
        rep = read_csv(os.path.join(out, 'report.csv'))
        mod = read_csv(os.path.join(out, 'models.csv'))
        if len(rows) != len(rep) or len(rows) != len(mod):
            bad.append('%s: row counts report.json %d, report.csv %d, models.csv %d'
                       % (out, len(rows), len(rep), len(mod)))
            continue
        for j, c, m in zip(rows, rep, mod):
            i = j['installs']
            want = {'app_id': j['app_id'], 'media_source': j['media_source'], 'campaign': j['campaign'],
                    'impressions': str(j['impressions']), 'clicks': str(j['clicks']),
                    'installs': str(i['click'] + i['prob_click'] + i['impression'] + i['organic']),
                    'installs_click': str(i['click']), 'installs_prob': str(i['prob_click']),
                    'installs_view': str(i['impression']), 'installs_organic': str(i['organic']),
                    'reattributions': str(j['reattributions']), 'reinstalls': str(j['reinstalls']),
                    'reengagements': str(j['reengagements']), 'conversions': str(j['conversions']),
                    'revenue_micros': money(j['revenue_micros']),
                    'median_ctit_us': '' if j['median_ctit_us'] is None else str(j['median_ctit_us']),
                    'fast_ctit_installs': str(j['fraud']['fast_ctit_installs']),
                    'click_flood_devices': str(j['fraud']['click_flood_devices'])}
            for k, v in want.items():
                if c[k] != v:
                    bad.append('report.json vs report.csv %s %r: %r %r' % (out, k, c[k], v))
            for name, md in j['models'].items():
                for k, v in (('installs', credit(md['installs_credit'])),
                             ('conversions', credit(md['conversions_credit'])),
                             ('revenue_micros', money(md['revenue_micros']))):
                    col = '%s_%s' % (name, k)
                    if m[col] != v:
                        bad.append('report.json vs models.csv %s %s: %r %r' % (out, col, m[col], v))
    return bad
