// matmul (torch.matmul semantics incl. 1-D operands and broadcast batch dims) and linear.
import { type RefTensor, make, broadcastShapes, broadcastTo } from './tensor.ts';
import { reshape, transpose } from './shape.ts';
import { add } from './elementwise.ts';

export function matmul(a: RefTensor, b: RefTensor): RefTensor {
  const a1 = a.shape.length === 1;
  const b1 = b.shape.length === 1;
  if (a.shape.length === 0 || b.shape.length === 0) throw new Error('ref.matmul: 0-d operand');
  const A = a1 ? reshape(a, [1, a.shape[0]]) : a;
  const B = b1 ? reshape(b, [b.shape[0], 1]) : b;
  const M = A.shape[A.shape.length - 2];
  const K = A.shape[A.shape.length - 1];
  const K2 = B.shape[B.shape.length - 2];
  const N = B.shape[B.shape.length - 1];
  if (K !== K2) throw new Error(`ref.matmul: [${a.shape}] @ [${b.shape}]`);
  const batch = broadcastShapes(A.shape.slice(0, -2), B.shape.slice(0, -2));
  const Ab = broadcastTo(A, [...batch, M, K]);
  const Bb = broadcastTo(B, [...batch, K, N]);
  const nb = batch.reduce((x, y) => x * y, 1);
  const out = make([...batch, M, N]);
  for (let q = 0; q < nb; q++) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += Ab.data[q * M * K + i * K + k] * Bb.data[q * K * N + k * N + j];
        out.data[q * M * N + i * N + j] = s;
      }
    }
  }
  let shape = [...batch, M, N];
  if (a1) shape = [...batch, N];
  if (b1) shape = a1 ? [...batch] : [...batch, M];
  return reshape(out, shape);
}

/** F.linear: x @ w^T + b, w is [out, in]. */
export function linear(x: RefTensor, w: RefTensor, b?: RefTensor): RefTensor {
  const y = matmul(x, transpose(w, 0, 1));
  return b ? add(y, b) : y;
}
