"""report.json rows vs the same run's report.csv and models.csv (section 13: 'the same rows')."""
import sys, json, csv, os
def money(d): return ' '.join('%s:%d' % (k, d[k]) for k in sorted(d, key=lambda k: k.encode()) if d[k])
def cred(u): return '%d.%06d' % divmod(u, 1000000)
def check(outs):
  bad = []
  for out in outs:
      rj = json.load(open(os.path.join(out, 'report.json'), encoding='utf-8'))
      rep = list(csv.reader(open(os.path.join(out, 'report.csv'), newline='', encoding='utf-8')))
      mod = list(csv.reader(open(os.path.join(out, 'models.csv'), newline='', encoding='utf-8')))
      H, M = rep[0], mod[0]
      rows = rj['rows']
      if len(rows) != len(rep) - 1 or len(rows) != len(mod) - 1:
          bad.append('%s: row counts report.json %d, report.csv %d, models.csv %d'
                     % (out, len(rows), len(rep) - 1, len(mod) - 1))
          continue
      for j, c, m in zip(rows, rep[1:], mod[1:]):
          c = dict(zip(H, c)); m = dict(zip(M, m))
          i = j['installs']
          exp = {'app_id': j['app_id'], 'media_source': j['media_source'], 'campaign': j['campaign'],
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
          for k, v in exp.items():
              if c[k] != v:
                  bad.append('report.json vs report.csv %s %r: %r %r' % (out, k, c[k], v))
          for mn, md in j['models'].items():
              for k, v in (('installs', cred(md['installs_credit'])), ('conversions', cred(md['conversions_credit'])),
                           ('revenue_micros', money(md['revenue_micros']))):
                  if m['%s_%s' % (mn, k)] != v:
                      bad.append('report.json vs models.csv %s %s %s: %r %r' % (out, mn, k, m['%s_%s' % (mn, k)], v))
  return bad
