import { CofferError } from '../errors.js'

/** Operations every engine must implement. `validateOptions` is optional. */
export const REQUIRED_OPERATIONS = [
  'backup',
  'listSnapshots',
  'listFiles',
  'restore',
  'forget',
  'verify',
] as const

/** Operations an engine may leave out. */
export const OPTIONAL_OPERATIONS = ['validateOptions'] as const

/**
 * Facts about an engine module's default export that decide whether an agent can load it. The
 * build collects them in a child process, so they are plain JSON.
 */
export interface EngineExportFacts {
  /** `typeof` of the default export, with `null` for null. */
  defaultType: string
  /** The default export's `id`, when it is an object. */
  id: unknown
  /** `typeof` of each required and optional operation on the default export. */
  operationTypes: Record<string, string>
}

/** Names of the module and manifest as error messages show them. */
export interface EngineExportLabels {
  /** The module, such as `engine.js` in a bundle or `./src/index.ts` in a package. */
  moduleName: string
  /** The manifest, such as `engine.json` or the source manifest's path. */
  manifestName: string
}

/** Collects `EngineExportFacts` from an imported module namespace. */
export function engineExportFacts(module: { default?: unknown }): EngineExportFacts {
  const engine = module.default
  const defaultType = engine === null ? 'null' : typeof engine
  const record = defaultType === 'object' ? (engine as Record<string, unknown>) : {}
  const operationTypes: Record<string, string> = {}
  for (const name of [...REQUIRED_OPERATIONS, ...OPTIONAL_OPERATIONS]) {
    operationTypes[name] = typeof record[name]
  }

  return { defaultType, id: record.id, operationTypes }
}

/**
 * Raises unless the facts describe an engine made with `defineEngine` whose id is `manifestId`
 * and which has every required operation: `INVALID_MANIFEST` for a missing default export or
 * operation, `MANIFEST_MISMATCH` for another id.
 */
export function assertEngineExport(
  facts: EngineExportFacts,
  manifestId: string,
  labels: EngineExportLabels
): void {
  const { moduleName, manifestName } = labels
  if (facts.defaultType !== 'object') {
    throw new CofferError(
      'INVALID_MANIFEST',
      `${moduleName} has no default export made with defineEngine(...) (its default export is ${facts.defaultType}); add "export default defineEngine({ id: '${manifestId}', ... })" to it`,
      { details: { defaultType: facts.defaultType } }
    )
  }

  if (facts.id !== manifestId) {
    throw new CofferError(
      'MANIFEST_MISMATCH',
      `${moduleName} exports engine ${String(facts.id)}, but ${manifestName} declares ${manifestId}; make the id in defineEngine(...) equal to the manifest's id`,
      { details: { exported: facts.id ?? null, declared: manifestId } }
    )
  }

  const missing = REQUIRED_OPERATIONS.filter((name) => facts.operationTypes[name] !== 'function')
  if (missing.length > 0) {
    const names = missing.join(', ')
    const phrase = missing.length === 1 ? `a ${names} operation` : `the operations ${names}`
    throw new CofferError(
      'INVALID_MANIFEST',
      `engine ${manifestId} in ${moduleName} lacks ${phrase}; add ${phrase} to defineEngine(...)`,
      { details: { missingOperations: missing } }
    )
  }

  for (const name of OPTIONAL_OPERATIONS) {
    const type = facts.operationTypes[name]
    if (type !== 'undefined' && type !== 'function') {
      throw new CofferError(
        'INVALID_MANIFEST',
        `engine ${manifestId} in ${moduleName} has a ${name} that is ${type}, not a function; make it a function or remove it`,
        { details: { operation: name, type } }
      )
    }
  }
}
