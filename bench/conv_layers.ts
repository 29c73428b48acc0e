// The conv3d layer shapes of R3D-18 and R(2+1)D-10 (torchvision layouts) for an input clip of
// T×S×S frames. Shared by the WebGPU benchmark and its PyTorch counterpart (via JSON).
export interface ConvLayer {
  name: string;
  cin: number;
  cout: number;
  /** Input spatial size [D, H, W]. */
  input: [number, number, number];
  kernel: [number, number, number];
  stride: [number, number, number];
  padding: [number, number, number];
}

/** ⌊t·d²·Cin·Cout / (d²·Cin + t·Cout)⌋, torchvision's Conv2Plus1D intermediate width (t = d = 3). */
export function midplanes(cin: number, cout: number): number {
  return Math.floor((3 * 9 * cin * cout) / (9 * cin + 3 * cout));
}

export function convLayers(T: number, S: number): ConvLayer[] {
  // Spatial/temporal sizes after the strided stages: a stride-2 conv with padding 1 gives ⌈in/2⌉.
  const at = (scale: number, tScale: number): [number, number, number] => [Math.ceil(T / tScale), Math.ceil(S / 2 / scale), Math.ceil(S / 2 / scale)];
  const l: ConvLayer[] = [
    { name: 'r3d stem 3→64 3×7×7 /(1,2,2)', cin: 3, cout: 64, input: [T, S, S], kernel: [3, 7, 7], stride: [1, 2, 2], padding: [1, 3, 3] },
    { name: 'r3d layer1 64→64 3×3×3', cin: 64, cout: 64, input: at(1, 1), kernel: [3, 3, 3], stride: [1, 1, 1], padding: [1, 1, 1] },
    { name: 'r3d layer2 64→128 3×3×3 /2', cin: 64, cout: 128, input: at(1, 1), kernel: [3, 3, 3], stride: [2, 2, 2], padding: [1, 1, 1] },
    { name: 'r3d layer2 downsample 64→128 1×1×1 /2', cin: 64, cout: 128, input: at(1, 1), kernel: [1, 1, 1], stride: [2, 2, 2], padding: [0, 0, 0] },
    { name: 'r3d layer3 256→256 3×3×3', cin: 256, cout: 256, input: at(4, 4), kernel: [3, 3, 3], stride: [1, 1, 1], padding: [1, 1, 1] },
    { name: 'r3d layer4 512→512 3×3×3', cin: 512, cout: 512, input: at(8, 8), kernel: [3, 3, 3], stride: [1, 1, 1], padding: [1, 1, 1] },
    { name: 'r(2+1)d stem 3→45 1×7×7 /(1,2,2)', cin: 3, cout: 45, input: [T, S, S], kernel: [1, 7, 7], stride: [1, 2, 2], padding: [0, 3, 3] },
    { name: 'r(2+1)d stem 45→64 3×1×1', cin: 45, cout: 64, input: at(1, 1), kernel: [3, 1, 1], stride: [1, 1, 1], padding: [1, 0, 0] },
    { name: `r(2+1)d layer1 64→${midplanes(64, 64)} 1×3×3`, cin: 64, cout: midplanes(64, 64), input: at(1, 1), kernel: [1, 3, 3], stride: [1, 1, 1], padding: [0, 1, 1] },
    { name: `r(2+1)d layer1 ${midplanes(64, 64)}→64 3×1×1`, cin: midplanes(64, 64), cout: 64, input: at(1, 1), kernel: [3, 1, 1], stride: [1, 1, 1], padding: [1, 0, 0] },
    { name: `r(2+1)d layer3 256→${midplanes(256, 256)} 1×3×3`, cin: 256, cout: midplanes(256, 256), input: at(4, 4), kernel: [1, 3, 3], stride: [1, 1, 1], padding: [0, 1, 1] },
    { name: `r(2+1)d layer3 ${midplanes(256, 256)}→256 3×1×1`, cin: midplanes(256, 256), cout: 256, input: at(4, 4), kernel: [3, 1, 1], stride: [1, 1, 1], padding: [1, 0, 0] },
  ];
  return l;
}

export function outputSize(l: ConvLayer): [number, number, number] {
  return l.input.map((s, i) => Math.floor((s + 2 * l.padding[i] - l.kernel[i]) / l.stride[i]) + 1) as [number, number, number];
}

/** Multiply-adds ×2 of the forward pass; input-grad and weight-grad cost the same each. */
export function forwardFlops(l: ConvLayer, batch: number): number {
  const [od, oh, ow] = outputSize(l);
  return 2 * batch * l.cout * od * oh * ow * l.cin * l.kernel[0] * l.kernel[1] * l.kernel[2];
}
