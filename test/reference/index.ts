// Naive float64 CPU reference implementations of the engine ops (see test/cases/ops.ts).
export * from './tensor.ts';
export * from './elementwise.ts';
export * from './reduce.ts';
export * from './shape.ts';
export * from './linalg.ts';
export * from './nn.ts';
export * from './creation.ts';
