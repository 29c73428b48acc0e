// Sequential, ModuleList and ModuleDict. Their children are named like PyTorch's: by position
// ('0', '1', …) for Sequential and ModuleList, by key for ModuleDict, so a ResNet's
// `layer1.0.conv1.weight` comes out of a Sequential named 'layer1' holding blocks.
import type { Tensor } from '../tensor/tensor.ts';
import { Module, type AnyModule } from './module.ts';

/** A chain of Tensor → Tensor modules, applied in order. */
export class Sequential extends Module {
  constructor(...modules: Array<Module<[Tensor], Tensor>>) {
    super();
    modules.forEach((m) => this.append(m));
  }

  append(m: Module<[Tensor], Tensor>): this {
    this.registerModule(String(this.length), m);
    return this;
  }

  get length(): number {
    return this.namedChildren().length;
  }

  /** The i-th module (negative i counts from the end). */
  at(i: number): Module<[Tensor], Tensor> {
    const kids = this.children();
    const m = kids[i < 0 ? kids.length + i : i];
    if (!m) throw new Error(`Sequential: index ${i} out of range (length ${kids.length})`);
    return m;
  }

  [Symbol.iterator](): Iterator<Module<[Tensor], Tensor>> {
    return this.children()[Symbol.iterator]();
  }

  override forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.children()) y = m.call(y);
    return y;
  }
}

/** A list of modules (no forward of its own), e.g. the blocks of a stage. */
export class ModuleList<M extends AnyModule = AnyModule> extends Module<never[], never> {
  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  append(m: M): this {
    this.registerModule(String(this.length), m);
    return this;
  }

  get length(): number {
    return this.namedChildren().length;
  }

  at(i: number): M {
    const kids = this.children() as M[];
    const m = kids[i < 0 ? kids.length + i : i];
    if (!m) throw new Error(`ModuleList: index ${i} out of range (length ${kids.length})`);
    return m;
  }

  [Symbol.iterator](): Iterator<M> {
    return (this.children() as M[])[Symbol.iterator]();
  }
}

/** Modules by string key (no forward of its own), in insertion order. */
export class ModuleDict<M extends AnyModule = AnyModule> extends Module<never[], never> {
  constructor(modules: Record<string, M> | Iterable<[string, M]> = {}) {
    super();
    const entries = Symbol.iterator in modules ? [...(modules as Iterable<[string, M]>)] : Object.entries(modules);
    for (const [k, m] of entries) this.set(k, m);
  }

  set(key: string, m: M): this {
    if (this.getModule(key) !== undefined) this.setModule(key, m);
    else this.registerModule(key, m);
    return this;
  }

  get(key: string): M {
    const m = this.getModule(key);
    if (!m) throw new Error(`ModuleDict: no module '${key}' (keys: ${this.keys().join(', ')})`);
    return m as M;
  }

  has(key: string): boolean {
    return !!this.getModule(key);
  }

  keys(): string[] {
    return this.namedChildren().map(([k]) => k);
  }

  values(): M[] {
    return this.children() as M[];
  }

  entries(): Array<[string, M]> {
    return this.namedChildren() as Array<[string, M]>;
  }

  get size(): number {
    return this.namedChildren().length;
  }
}
