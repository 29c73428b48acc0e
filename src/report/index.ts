// Run reports: the training charts as Vega-Lite specs (charts.ts, shared with the browser training
// page), rendered to static SVG (render.ts) and assembled into one self-contained HTML page
// (html.ts). Platform-neutral; writing `<run>/report.html` from the run's files is
// src/platform/node-report.ts (writeRunReport).
export { parseLog, type ParsedLog, type LogEvent } from './log.ts';
export { aggregateSeries, defaultWindow, DEFAULT_MAX_POINTS, type SeriesPoint, type AggregatedPoint, type AggregateOptions } from './downsample.ts';
export { buildCharts, type ChartOptions, type ReportChart } from './charts.ts';
export { renderChartSVG } from './render.ts';
export { chanceFromConfig } from './chance.ts';
export { parseEvalResults, evalTables, formatMetric, EvalFormatError, type EvalRow, type EvalFile, type EvalTable } from './eval.ts';
export { buildReportHtml, escapeHtml, type ReportInput, type ReportOutput } from './html.ts';
