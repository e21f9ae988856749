import { SettingSchema } from '#database/schema'

/** A key/value setting changed from the panel; secret values are vault envelopes. */
export default class Setting extends SettingSchema {
  /** The key is the primary key, chosen by the caller rather than by the database. */
  static selfAssignPrimaryKey = true
}
