export { buildEngineBundle, bundleFileName, BUNDLE_ENTRY } from './build_engine.js'
export type { BuildEngineOptions, BuiltEngine } from './build_engine.js'
export { readEnginePackage, type CofferPackageField, type EnginePackage } from './package_config.js'
