/** Thrown for a value a setting does not accept; the message follows Redis's CONFIG SET texts. */
export class InvalidSettingError extends Error {}
