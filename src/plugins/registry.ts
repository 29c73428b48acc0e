// Typed registries: one per plugin kind. A plugin registers under a name with a zod schema for its
// options and a factory; `build({ type, ...options })` validates the options (clear errors naming the
// plugin and the field) and constructs it. Third-party plugins register from their own module.
import { z } from 'zod';

export interface PluginSpec<T, S extends z.ZodTypeAny, C> {
  /** Validates and defaults the options (everything in the config except `type`). */
  schema: S;
  /** Constructs the plugin from validated options and the build context. */
  create: (options: z.output<S>, context: C) => T;
  /** One line for `--help` and error messages. */
  description?: string;
}

export interface PluginConfig {
  type: string;
  [option: string]: unknown;
}

export class Registry<T, C = unknown> {
  private readonly entries = new Map<string, PluginSpec<T, z.ZodTypeAny, C>>();

  /** `kind` names the registry in messages ("backbone", "pretext task", …). */
  constructor(readonly kind: string) {}

  /** Registers a plugin; a name already taken is an error unless `override` is set. */
  register<S extends z.ZodTypeAny>(name: string, spec: PluginSpec<T, S, C>, opts: { override?: boolean } = {}): void {
    if (!/^[a-z0-9][a-z0-9_.-]*$/i.test(name)) throw new Error(`${this.kind} registry: invalid name '${name}'`);
    if (this.entries.has(name) && !opts.override) {
      throw new Error(`${this.kind} '${name}' is already registered; pass { override: true } to replace it`);
    }
    this.entries.set(name, spec as unknown as PluginSpec<T, z.ZodTypeAny, C>);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  names(): string[] {
    return [...this.entries.keys()].sort();
  }

  spec(name: string): PluginSpec<T, z.ZodTypeAny, C> {
    const spec = this.entries.get(name);
    if (!spec) throw new Error(`unknown ${this.kind} '${name}'; registered: ${this.names().join(', ') || '(none)'}`);
    return spec;
  }

  /** Validates `{ type, ...options }` and builds the plugin. */
  build(config: PluginConfig | string, context: C): T {
    const { type, ...options } = typeof config === 'string' ? { type: config } : config;
    if (typeof type !== 'string') throw new Error(`${this.kind} config needs a string 'type' (one of: ${this.names().join(', ')})`);
    const spec = this.spec(type);
    const parsed = spec.schema.safeParse(options);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ');
      throw new Error(`invalid options for ${this.kind} '${type}': ${issues}`);
    }
    return spec.create(parsed.data, context);
  }
}
