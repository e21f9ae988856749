import { configApp } from '@adonisjs/eslint-config'

export default configApp({
  ignores: ['**/dist/**', 'build/**', '.node/**', 'tmp/**', '.adonisjs/**', 'public/**'],
})
