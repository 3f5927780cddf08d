import type { SeriesRecorder } from '../plan/types.js';
import type { Series, StateStore } from '../state/store.js';

/** A drill that probes every 100 ms for minutes must not grow the state without bound: the newest points stay. */
export const MAX_SERIES_POINTS = 2_000;

/**
 * Records a series into state. The first point replaces whatever an earlier attempt left under the name, so a
 * chart always shows one attempt; points go to disk with the next state write (a probe every 100 ms must not cost an fsync each).
 */
export function seriesRecorder(store: StateStore, name: string, meta: Omit<Series, 'points'>): SeriesRecorder {
  let series: Series | undefined;
  return {
    add(point) {
      store.data.series ??= {};
      const all = store.data.series;
      if (!series) {
        series = { ...meta, points: [] };
        all[name] = series;
      }
      series.points.push({ ...point, at: point.at ?? new Date().toISOString() });
      if (series.points.length > MAX_SERIES_POINTS) series.points.splice(0, series.points.length - MAX_SERIES_POINTS);
    },
  };
}
