import { SettingSchema } from '#database/schema'

/** A key/value setting changed from the panel; secret values are vault envelopes. */
export default class Setting extends SettingSchema {}
