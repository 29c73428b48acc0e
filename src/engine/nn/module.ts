// Module: the base of every layer and model (torch.nn.Module). A module owns named parameters,
// buffers and submodules; their dotted paths are PyTorch's state_dict keys
// (`layer1.0.conv1.weight`, `bn.running_mean`, `bn.num_batches_tracked`).
//
// Registration is explicit, as PyTorch's register_parameter / register_buffer / add_module, and
// each call returns what it registered so that a typed property can hold it:
//
//   class Block extends Module {
//     readonly conv1: Conv3d;
//     constructor() { super(); this.conv1 = this.registerModule('conv1', new Conv3d(3, 8, 3)); }
//     override forward(x: Tensor) { return this.conv1.call(x); }
//   }
//
// The registration order is the iteration order of parameters(), namedParameters(), stateDict()
// and optimizer parameter indices, as in PyTorch.
import { Tensor } from '../tensor/tensor.ts';
import { keep } from '../tensor/scope.ts';
import { fmt, sameShape } from '../tensor/shape.ts';
import { noGrad } from '../autograd/mode.ts';
import { assign } from '../ops/assign.ts';
import { cast } from '../ops/elementwise.ts';

/** Name → tensor, in registration order (PyTorch's state_dict). */
export type StateDict = Record<string, Tensor>;

export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export type AnyModule = Module<any[], any>;

const NAME = /^[^.]+$/;

function checkName(kind: string, owner: AnyModule, name: string): void {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new Error(`${owner.constructor.name}.${kind}: invalid name '${name}' (a non-empty string without dots)`);
  }
}

export class Module<I extends unknown[] = [Tensor], O = Tensor> {
  /** Training mode (dropout active, batch norm uses and updates batch statistics). */
  training = true;
  private readonly _parameters = new Map<string, Tensor | null>();
  private readonly _buffers = new Map<string, Tensor | null>();
  private readonly _nonPersistent = new Set<string>();
  private readonly _modules = new Map<string, AnyModule | null>();

  /** The computation; subclasses override it. Call modules through `call`. */
  forward(..._inputs: I): O {
    throw new Error(`${this.constructor.name}: forward() is not implemented`);
  }

  /** Runs forward (PyTorch's `module(x)`). */
  call(...inputs: I): O {
    return this.forward(...inputs);
  }

  // ---- registration ----

  private checkFree(kind: string, name: string, except: Map<string, unknown>): void {
    checkName(kind, this, name);
    for (const m of [this._parameters, this._buffers, this._modules] as Map<string, unknown>[]) {
      if (m !== except && m.has(name)) throw new Error(`${this.constructor.name}.${kind}: '${name}' is already registered as another kind of member`);
    }
  }

  /**
   * Registers a trainable tensor (or null, like PyTorch's `bias=None`, which is left out of the
   * state dict). The tensor becomes a leaf that requires grad and lives until dispose().
   */
  registerParameter<T extends Tensor | null>(name: string, t: T): T {
    this.checkFree('registerParameter', name, this._parameters);
    if (t) {
      t.assertLive('registerParameter');
      if (t.dtype !== 'float32') throw new Error(`registerParameter: parameter '${name}' must be float32, got ${t.dtype}`);
      if (!t.isLeaf) throw new Error(`registerParameter: parameter '${name}' must be a leaf tensor (use detach())`);
      keep(t);
      t.requiresGrad = true;
    }
    this._parameters.set(name, t);
    return t;
  }

  /**
   * Registers a state tensor that is not trained (running statistics, counters). Non-persistent
   * buffers are left out of the state dict, as in PyTorch.
   */
  registerBuffer<T extends Tensor | null>(name: string, t: T, opts: { persistent?: boolean } = {}): T {
    this.checkFree('registerBuffer', name, this._buffers);
    if (t) {
      t.assertLive('registerBuffer');
      keep(t);
    }
    this._buffers.set(name, t);
    if (opts.persistent === false) this._nonPersistent.add(name);
    else this._nonPersistent.delete(name);
    return t;
  }

  /** Registers a submodule (PyTorch's add_module / register_module). */
  registerModule<M extends AnyModule | null>(name: string, m: M): M {
    this.checkFree('registerModule', name, this._modules);
    if (m !== null && !(m instanceof Module)) throw new Error(`registerModule: '${name}' is not a Module`);
    this._modules.set(name, m);
    return m;
  }

  /** A directly registered parameter, buffer or submodule by name (undefined when absent). */
  getParameter(name: string): Tensor | null | undefined {
    return this._parameters.get(name);
  }

  getBuffer(name: string): Tensor | null | undefined {
    return this._buffers.get(name);
  }

  getModule(name: string): AnyModule | null | undefined {
    return this._modules.get(name);
  }

  /** Replaces a registered submodule (e.g. swapping a classification head). */
  setModule<M extends AnyModule | null>(name: string, m: M): M {
    if (!this._modules.has(name)) throw new Error(`${this.constructor.name}.setModule: no submodule '${name}'`);
    this._modules.set(name, m);
    return m;
  }

  // ---- traversal ----

  /** Direct children with their names (null entries skipped). */
  namedChildren(): Array<[string, AnyModule]> {
    const out: Array<[string, AnyModule]> = [];
    for (const [name, m] of this._modules) if (m) out.push([name, m]);
    return out;
  }

  children(): AnyModule[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and every descendant, depth first, with dotted names ('' for this one). */
  namedModules(prefix = '', seen = new Set<AnyModule>()): Array<[string, AnyModule]> {
    if (seen.has(this)) return [];
    seen.add(this);
    const out: Array<[string, AnyModule]> = [[prefix, this]];
    for (const [name, m] of this.namedChildren()) out.push(...m.namedModules(prefix ? `${prefix}.${name}` : name, seen));
    return out;
  }

  modules(): AnyModule[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Every parameter with its dotted name; a tensor registered twice is listed once (as PyTorch). */
  namedParameters(): Array<[string, Tensor]> {
    return this.collect('_parameters');
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  namedBuffers(): Array<[string, Tensor]> {
    return this.collect('_buffers');
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, t]) => t);
  }

  private collect(kind: '_parameters' | '_buffers'): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    const seen = new Set<Tensor>();
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, t] of m[kind]) {
        if (!t || seen.has(t)) continue;
        seen.add(t);
        out.push([prefix ? `${prefix}.${name}` : name, t]);
      }
    }
    return out;
  }

  /**
   * Parameters and persistent buffers by dotted name, in registration order: PyTorch's
   * state_dict keys. The values are the module's own tensors (not copies), as in PyTorch.
   * `num_batches_tracked` is int32 here (int64 in PyTorch).
   */
  stateDict(): StateDict {
    const out: StateDict = {};
    // Unlike namedModules(), a submodule registered under two names is saved under both (PyTorch does).
    const walk = (m: AnyModule, p: string, path: Set<AnyModule>): void => {
      if (path.has(m)) throw new Error(`stateDict: module cycle at '${p.slice(0, -1)}'`);
      for (const [name, t] of m._parameters) if (t) out[p + name] = t;
      for (const [name, t] of m._buffers) if (t && !m._nonPersistent.has(name)) out[p + name] = t;
      path.add(m);
      for (const [name, c] of m._modules) if (c) walk(c, `${p}${name}.`, path);
      path.delete(m);
    };
    walk(this, '', new Set());
    return out;
  }

  /**
   * Copies values into the module's tensors in place (so optimizers holding them stay valid).
   * Shapes must match; a float tensor loads into an int32 buffer (and vice versa) by conversion.
   * With `strict` (default) any missing or unexpected key throws, listing them.
   */
  loadStateDict(dict: Record<string, Tensor>, opts: { strict?: boolean } = {}): LoadResult {
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !(k in dict));
    const unexpectedKeys = Object.keys(dict).filter((k) => !(k in own));
    if (opts.strict !== false && (missingKeys.length || unexpectedKeys.length)) {
      throw new Error(
        `loadStateDict: ${missingKeys.length ? `missing keys [${missingKeys.join(', ')}]` : ''}${missingKeys.length && unexpectedKeys.length ? '; ' : ''}${unexpectedKeys.length ? `unexpected keys [${unexpectedKeys.join(', ')}]` : ''}`,
      );
    }
    for (const [k, dst] of Object.entries(own)) {
      const src = dict[k];
      if (!src) continue;
      src.assertLive(`loadStateDict(${k})`);
      if (!sameShape(src.shape, dst.shape)) throw new Error(`loadStateDict: '${k}' has shape ${fmt(src.shape)} in the dict but ${fmt(dst.shape)} in the module`);
    }
    noGrad(() => {
      for (const [k, dst] of Object.entries(own)) {
        const src = dict[k];
        if (!src) continue;
        if (src.dtype === dst.dtype) assign(dst, src);
        else {
          const c = cast(src, dst.dtype);
          assign(dst, c);
          c.dispose();
        }
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  // ---- modes ----

  /** Sets training mode on this module and every descendant (PyTorch's train(mode)). */
  train(flag = true): this {
    for (const m of this.modules()) m.training = flag;
    return this;
  }

  /** Inference mode: train(false). */
  eval(): this {
    return this.train(false);
  }

  /** Sets requiresGrad on every parameter; `requiresGrad_(false)` freezes the module. */
  requiresGrad_(flag = true): this {
    for (const p of this.parameters()) p.requiresGrad = flag;
    return this;
  }

  /** Drops every parameter's gradient (PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.setGrad(null);
  }

  /** Calls fn on every descendant, then on this module (PyTorch's apply order). */
  apply(fn: (m: AnyModule) => void): this {
    for (const m of this.children()) m.apply(fn);
    fn(this);
    return this;
  }

  /** Number of parameter elements (optionally only trainable ones). */
  numParameters(onlyTrainable = false): number {
    return this.parameters().reduce((n, p) => n + (onlyTrainable && !p.requiresGrad ? 0 : p.size), 0);
  }

  /** Frees every parameter (with its gradient) and buffer of this module and its descendants. */
  dispose(): void {
    for (const m of this.modules()) {
      for (const t of m._parameters.values()) t?.dispose();
      for (const t of m._buffers.values()) t?.dispose();
    }
  }

  /** Extra text for toString(), e.g. `in=16, out=8` (PyTorch's extra_repr). */
  extraRepr(): string {
    return '';
  }

  toString(): string {
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    const kids = this.namedChildren();
    if (!kids.length) return `${head})`;
    const body = kids.map(([n, m]) => `  (${n}): ${m.toString().split('\n').join('\n  ')}`).join('\n');
    return `${head}\n${body}\n)`;
  }
}
