// Model loading as one bar per section: the bytes of every model file started so far,
// summed (the workers report each file's bytes as they arrive; a file counts once its size
// is known), in the section that asked for the models.
import type { ModelProgress } from '../index.ts';

export interface LoadTotals {
  loaded: number;
  total: number;
  files: number;
}

export class LoadProgress {
  readonly #files = new Map<string, { loaded: number; total: number }>();

  /** Folds one event in (a file's later, smaller report never moves it back); the totals so far. */
  add(p: ModelProgress): LoadTotals {
    if (p.file && p.total) {
      const key = `${p.model}/${p.file}`;
      this.#files.set(key, { loaded: Math.max(this.#files.get(key)?.loaded ?? 0, p.loaded ?? 0), total: p.total });
    }
    let loaded = 0;
    let total = 0;
    for (const file of this.#files.values()) {
      loaded += Math.min(file.loaded, file.total);
      total += file.total;
    }
    return { loaded, total, files: this.#files.size };
  }
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

export function describeLoad({ loaded, total, files }: LoadTotals): string {
  return `Loading models: ${mb(loaded)} of ${mb(total)} MB (${files} file${files === 1 ? '' : 's'})`;
}

/** A section's status line and bar as a progress sink for one load. */
export function progressView(status: HTMLElement, bar: HTMLProgressElement): (p: ModelProgress) => void {
  const totals = new LoadProgress();
  return (p) => {
    if (p.status !== 'progress' || !p.total) return;
    const sums = totals.add(p);
    bar.hidden = false;
    bar.max = sums.total;
    bar.value = sums.loaded;
    status.textContent = describeLoad(sums);
  };
}
