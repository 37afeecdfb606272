/**
 * The drift monitor's core (pure, in memory): a bounded sliding window of the most recent values of every feature,
 * compared with the baseline as PSI and KS. The service around it (service.ts) feeds it from the observation log.
 */
import { PSI_CRITICAL, PSI_WARNING, binShares, ks, psiOfShares, type KsResult } from './drift.js';
import { FEATURES, FEATURE_NAMES, forEachFeatureValue, type FeatureKind, type FeatureName, type Observation } from './features.js';
import type { Baseline, BaselineSource } from './baseline.js';

export type DriftStatus = 'ok' | 'warning' | 'critical' | 'no_baseline' | 'insufficient_data';

export interface FeatureDrift {
  feature: FeatureName;
  kind: FeatureKind;
  description: string;
  /** null unless both the window and the baseline have at least minValues values. */
  psi: number | null;
  ks: KsResult | null;
  status: DriftStatus;
  window: { values: number; mean: number | null };
  baseline: { values: number; mean: number; source: BaselineSource; markedAt: string } | null;
}

export interface DriftReport {
  /** Values per feature in the sliding window, and the fewest that a drift figure needs. */
  windowSize: number;
  minValues: number;
  thresholds: { warning: number; critical: number };
  /** Unix ms of the newest observation in the window, null when none. */
  lastObservationAt: number | null;
  features: FeatureDrift[];
}

/** A fixed-capacity ring of numbers (the newest `capacity` values). */
export class Ring {
  private readonly buf: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(readonly capacity: number) {
    this.buf = new Float64Array(capacity);
  }

  push(v: number): void {
    this.buf[this.next] = v;
    this.next = (this.next + 1) % this.capacity;
    if (this.filled < this.capacity) this.filled++;
  }

  get size(): number {
    return this.filled;
  }

  values(): number[] {
    return this.filled < this.capacity ? Array.from(this.buf.subarray(0, this.filled)) : [...this.buf.subarray(this.next), ...this.buf.subarray(0, this.next)];
  }

  clear(): void {
    this.next = 0;
    this.filled = 0;
  }
}

export class DriftMonitor {
  private readonly windows: Record<FeatureName, Ring>;
  private lastAt: number | null = null;

  constructor(
    readonly options: { windowSize: number; minValues: number },
    private baseline: Baseline | null = null,
  ) {
    this.windows = Object.fromEntries(FEATURE_NAMES.map((f) => [f, new Ring(options.windowSize)])) as Record<FeatureName, Ring>;
  }

  setBaseline(baseline: Baseline | null): void {
    this.baseline = baseline;
  }

  observe(o: Observation): void {
    forEachFeatureValue(o, (f, v) => this.windows[f].push(v));
    if (this.lastAt === null || o.t > this.lastAt) this.lastAt = o.t;
  }

  clear(): void {
    for (const f of FEATURE_NAMES) this.windows[f].clear();
    this.lastAt = null;
  }

  report(): DriftReport {
    const { windowSize, minValues } = this.options;
    return {
      windowSize,
      minValues,
      thresholds: { warning: PSI_WARNING, critical: PSI_CRITICAL },
      lastObservationAt: this.lastAt,
      features: FEATURE_NAMES.map((f) => featureDrift(f, this.windows[f].values(), this.baseline?.features[f] ?? null, minValues)),
    };
  }
}

function featureDrift(
  feature: FeatureName,
  recent: number[],
  base: Baseline['features'][FeatureName] | null,
  minValues: number,
): FeatureDrift {
  const spec = FEATURES[feature];
  const mean = recent.length > 0 ? recent.reduce((a, b) => a + b, 0) / recent.length : null;
  const out: FeatureDrift = {
    feature,
    kind: spec.kind,
    description: spec.help,
    psi: null,
    ks: null,
    status: 'no_baseline',
    window: { values: recent.length, mean },
    baseline: base ? { values: base.count, mean: base.mean, source: base.source, markedAt: base.markedAt } : null,
  };
  if (!base) return out;
  if (recent.length < minValues || base.count < minValues) return { ...out, status: 'insufficient_data' };
  const psi = psiOfShares(base.shares, binShares(base.edges, recent));
  const status: DriftStatus = psi > PSI_CRITICAL ? 'critical' : psi > PSI_WARNING ? 'warning' : 'ok';
  return { ...out, psi, ks: spec.kind === 'continuous' ? ks(base.values, recent) : null, status };
}
