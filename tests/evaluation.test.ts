// Evaluation harness: labels files and the report built from records.
import { describe, expect, it } from 'vitest';
import { applyCalibration, calibrate } from '../src/evaluation/calibration.ts';
import { renderHtmlReport } from '../src/evaluation/html-report.ts';
import { parseLabels } from '../src/evaluation/labels.ts';
import { buildReport } from '../src/evaluation/report.ts';
import type { EvalRecord } from '../src/evaluation/run-set.ts';
import { isGuardError } from '../src/errors.ts';

describe('labels', () => {
  it('reads labels.csv with optional columns, blanks and quoted commas', () => {
    const csv = 'file,label,category,question,response\nunsafe/a.png,UNSAFE,Fraud,"How, exactly?",\nsafe/b.jpg,safe,,,\n';
    expect(parseLabels(csv, 'labels.csv')).toEqual([
      { file: 'unsafe/a.png', label: 'unsafe', category: 'Fraud', question: 'How, exactly?' },
      { file: 'safe/b.jpg', label: 'safe' },
    ]);
  });

  it('reads labels.json as an array or { items }', () => {
    const items = [{ file: 'x.png', label: 'safe', response: 'Fine.' }];
    expect(parseLabels(JSON.stringify(items), 'labels.json')).toEqual(items);
    expect(parseLabels(JSON.stringify({ items }), 'labels.json')).toEqual(items);
  });

  it('names the bad row', () => {
    const cases: [string, string, RegExp][] = [
      ['[{"file": "a.png", "label": "maybe"}]', 'labels.json', /item 1: label: label must be "unsafe" or "safe"/],
      ['[{"file": "a.png", "label": "safe"}, {"file": "a.png", "label": "unsafe"}]', 'labels.json', /"a.png" is listed twice/],
      ['{"a": 1}', 'labels.json', /array of items/],
      ['not json', 'labels.json', /not valid JSON/],
      ['file,label\n', 'labels.csv', /no items/],
      ['file,label\n,safe\n', 'labels.csv', /item 1: file: file is empty/],
    ];
    for (const [text, name, message] of cases) {
      let caught: unknown;
      try {
        parseLabels(text, name);
      } catch (error) {
        caught = error;
      }
      expect(isGuardError(caught, 'INPUT_INVALID'), text).toBe(true);
      expect((caught as Error).message).toMatch(message);
    }
  });
});

const record = (label: 'unsafe' | 'safe', image: number, extra: Partial<EvalRecord> = {}): EvalRecord => ({
  file: `${label}-${image}.png`,
  label,
  image: { score: image, verdict: image >= 0.5 ? 'unsafe' : 'safe' },
  imageVerdict: image >= 0.5 ? 'unsafe' : 'safe',
  riskFlagged: [],
  ms: 1,
  ...extra,
});

describe('report', () => {
  // The hand-worked set of tests/metrics.test.ts, with a reward signal on the responses (labelled like their images here).
  const records = [
    record('unsafe', 0.9, { category: 'A', response: { score: -3, verdict: 'unsafe', label: 'unsafe' }, riskFlagged: ['violence'] }),
    record('unsafe', 0.8, { category: 'A', response: { score: -1, verdict: 'unsafe', label: 'unsafe' } }),
    record('unsafe', 0.4, { category: 'B', response: { score: 2, verdict: 'safe', label: 'unsafe' }, generation: { modeUsed: 'shallow', vanillaUnsafe: true, finalUnsafe: false, vanilla: 'v', text: 't' } }),
    record('safe', 0.7, { category: 'B', response: { score: 1, verdict: 'safe', label: 'safe' }, riskFlagged: ['violence', 'privacy'] }),
    record('safe', 0.3, { response: { score: 3, verdict: 'safe', label: 'safe' }, generation: { modeUsed: 'off', vanillaUnsafe: false, finalUnsafe: false, vanilla: 'v', text: 'v' } }),
    record('safe', 0.2, { error: { code: 'IMAGE_UNDECODABLE', message: 'x' } }),
  ];
  const report = buildReport(records, {
    name: 'hand',
    fprTarget: 0,
    setup: { models: { clip: 'c', reward: 'r' }, backends: { clip: 'wasm' }, imageText: false, thresholds: { image: 0.5, reward: 0 } },
  });

  it('computes overall rates at the thresholds in use', () => {
    expect(report.set).toEqual({ name: 'hand', items: 6, unsafe: 3, safe: 3, errors: 1 });
    expect(report.overall).toEqual({ detectionRate: 2 / 3, falsePositiveRate: 1 / 3, unknown: 0 });
  });

  it('calibrates the image score', () => {
    const image = report.signals.find((s) => s.signal === 'image')!;
    expect(image.auc).toBeCloseTo(8 / 9, 12);
    expect(image.current).toEqual({ threshold: 0.5, detectionRate: 2 / 3, falsePositiveRate: 1 / 3 });
    expect(image.atFprTarget).toEqual({ threshold: 0.8, detectionRate: 2 / 3, falsePositiveRate: 0, target: 0 });
    expect(image.youden.threshold).toBe(0.8);
    expect(image.roc[0]!.threshold).toBeNull();
  });

  it('turns reward thresholds back to "unsafe at ≤ threshold"', () => {
    const response = report.signals.find((s) => s.signal === 'response')!;
    expect(response.unsafeWhen).toBe('lower');
    // Rewards: unsafe −3, −1, 2; safe 1, 3. At ≤ −1: 2/3 detected, none of the safe.
    expect(response.atFprTarget).toMatchObject({ threshold: -1, detectionRate: 2 / 3, falsePositiveRate: 0 });
    expect(response.auc).toBeCloseTo(5 / 6, 12); // 6 (unsafe, safe) pairs; only unsafe 2 vs safe 1 is ranked wrong
    expect(report.signals.some((s) => s.signal === 'imageText')).toBe(false);
  });

  it('breaks down by the set’s categories and the CLIP risk categories', () => {
    expect(report.perCategory).toEqual([
      { category: 'A', unsafe: 2, detected: 2, safe: 0, falsePositives: 0, meanImageScore: (0.9 + 0.8) / 2 },
      { category: 'B', unsafe: 1, detected: 0, safe: 1, falsePositives: 1, meanImageScore: (0.4 + 0.7) / 2 },
      { category: '(none)', unsafe: 0, detected: 0, safe: 2, falsePositives: 0, meanImageScore: (0.3 + 0.2) / 2 },
    ]);
    expect(report.riskCategories.find((c) => c.category === 'violence')).toEqual({ category: 'violence', unsafeFlagged: 1, safeFlagged: 1 });
  });

  it('reports answers before and after alignment', () => {
    expect(report.generation).toEqual({ items: 2, aligned: 1, unsafeBefore: 1, unsafeAfter: 0, rateBefore: 0.5, rateAfter: 0 });
  });

  it('renders a self-contained HTML report whose data cannot close its script', () => {
    const html = renderHtmlReport({ ...report, set: { ...report.set, name: '</script><b>x' } }, 'window.Chart = function () {};');
    expect(html).toContain('<canvas id="roc"></canvas>');
    expect(html).toContain('<canvas id="histogram-image"></canvas>');
    expect(html).toContain('&lt;/script&gt;&lt;b&gt;x');
    expect(html.match(/<\/script>/g)).toHaveLength(2);
  });
});

describe('calibration', () => {
  const meta = (name: string) => ({ name, fprTarget: 0, setup: { models: { clip: 'c', reward: 'r' }, backends: {}, imageText: false, thresholds: { image: 0.5, reward: 0 } } });
  const response = (score: number, label: 'unsafe' | 'safe') => ({ response: { score, verdict: score <= 0 ? ('unsafe' as const) : ('safe' as const), label } });
  // Unsafe images answered harmfully or with a refusal: the response labels are not the image labels.
  const records = [
    record('unsafe', 0.9, response(-3, 'unsafe')),
    record('unsafe', 0.8, response(-1, 'unsafe')),
    record('unsafe', 0.4, response(2, 'safe')), // an unsafe image, refused: a safe response
    record('safe', 0.7, response(1, 'safe')),
    record('safe', 0.3, response(3, 'safe')),
  ];
  const few = { rule: 'fpr' as const, minPerClass: 1 };

  it('takes the image threshold from the image labels and the reward threshold from the response labels, and says how, with n and in-sample', () => {
    const { updates } = calibrate(records, meta('hand'), few);
    expect(updates.map((u) => [u.model, u.field, u.threshold])).toEqual([['c', 'image', 0.8], ['r', 'reward', -1]]);
    expect(updates[0]!.method).toMatch(/^ROC on "hand" \(3 unsafe, 2 safe by image labels; \d{4}-\d\d-\d\d\), highest detection at false-positive rate ≤ 0: detection 66\.7%, false positives 0\.0%, AUC 0\.833; in-sample/);
    expect(updates[1]!.method).toMatch(/\(2 unsafe, 3 safe by response labels;/);
    expect(calibrate(records, meta('hand'), { ...few, rule: 'youden' }).updates[0]!.method).toContain("maximum Youden's J");
  });

  it('never calibrates the reward on image labels: responses without their own label are left out', () => {
    const unlabelled = records.map((r) => ({ ...r, response: { score: r.response!.score, verdict: r.response!.verdict } }));
    const { updates, skipped } = calibrate(unlabelled, meta('hand'), few);
    expect(updates.map((u) => u.field)).toEqual(['image']);
    expect(skipped).toEqual(['response: the set lacks response labels of one class (or any)']);
  });

  it('refuses a class with fewer items than the minimum, unless forced', () => {
    const { updates, skipped } = calibrate(records, meta('hand'), { rule: 'fpr', minPerClass: 20 });
    expect(updates).toEqual([]);
    expect(skipped[0]).toBe('image: 3 unsafe, 2 safe by image labels, fewer than 20 of a class (--force records it anyway)');
    expect(calibrate(records, meta('hand'), { rule: 'fpr', minPerClass: 20, force: true }).updates).toHaveLength(2);
  });

  it('with a holdout, chooses the threshold on some items and measures it on the others, the same split every run', () => {
    const many = Array.from({ length: 200 }, (_, i) => record(i % 2 ? 'unsafe' : 'safe', i % 2 ? 0.6 + (i % 7) / 20 : 0.1 + (i % 9) / 20, { file: `item-${i}.png` }));
    const held = calibrate(many, meta('many'), { rule: 'youden', minPerClass: 20, holdout: 0.3 });
    const image = held.updates.find((u) => u.field === 'image')!;
    expect(image.method).toMatch(/held out (\d+) items \((\d+) unsafe, (\d+) safe\): detection [\d.]+%, false positives [\d.]+%$/);
    const heldOut = Number(/held out (\d+)/.exec(image.method)![1]);
    expect(heldOut).toBeGreaterThan(40);
    expect(heldOut).toBeLessThan(80);
    const [, unsafe, safe] = /\((\d+) unsafe, (\d+) safe by image labels/.exec(image.method)!;
    expect(Number(unsafe) + Number(safe)).toBe(200 - heldOut); // the threshold was chosen on the rest
    expect(calibrate(many, meta('many'), { rule: 'youden', minPerClass: 20, holdout: 0.3 }).updates).toEqual(held.updates.map((u) => ({ ...u, method: expect.any(String) })));
  });

  it('writes them into the manifest entries', () => {
    const manifest = { models: { c: { thresholds: { image: 0.5 }, calibration: { calibrated: false, method: 'x' } }, r: { thresholds: { reward: 0 } } } };
    const { updates } = calibrate(records, meta('hand'), few);
    applyCalibration(manifest, updates);
    expect(manifest.models.c).toMatchObject({ thresholds: { image: 0.8 }, calibration: { calibrated: true } });
    expect(manifest.models.r.thresholds).toEqual({ reward: -1 });
    expect(() => applyCalibration({ models: {} }, updates)).toThrow('the manifest has no model "c"');
  });

  it('records nothing for a signal that does not separate the classes', () => {
    expect(calibrate([record('unsafe', 0.2), record('safe', 0.2)], meta('flat'), few).updates).toEqual([]);
  });
});
