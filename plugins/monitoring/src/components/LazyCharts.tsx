import { lazy, Suspense } from 'react';
import Skeleton from '@material-ui/lab/Skeleton';
import type { TimeSeriesChartProps } from './charts/TimeSeriesChart';
import type { Sparkline as SparklineType } from './charts/TimeSeriesChart';

/*
 * recharts (and d3 under it) is only downloaded when a chart is first drawn,
 * not with the catalog page that hosts the tab or card.
 */
const LazyTimeSeriesChart = lazy(() =>
  import('./charts/TimeSeriesChart').then(m => ({
    default: m.TimeSeriesChart,
  })),
);
const LazySparkline = lazy(() =>
  import('./charts/TimeSeriesChart').then(m => ({ default: m.Sparkline })),
);

export function TimeSeriesChart(props: TimeSeriesChartProps) {
  return (
    <Suspense
      fallback={
        <Skeleton
          variant="rect"
          height={props.height ?? 180}
          aria-label="Loading chart"
        />
      }
    >
      <LazyTimeSeriesChart {...props} />
    </Suspense>
  );
}

export function Sparkline(props: Parameters<typeof SparklineType>[0]) {
  return (
    <Suspense
      fallback={<Skeleton variant="rect" height={props.height ?? 40} />}
    >
      <LazySparkline {...props} />
    </Suspense>
  );
}
