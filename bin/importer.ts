/** Root folder of the application, as a file URL. */
export const APP_ROOT = new URL('../', import.meta.url)

/** Resolves relative module paths against the application root for the Ignitor. */
export function importer(filePath: string) {
  if (filePath.startsWith('./') || filePath.startsWith('../')) {
    return import(new URL(filePath, APP_ROOT).href)
  }
  return import(filePath)
}
