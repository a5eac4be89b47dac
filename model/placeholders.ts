// What the offline render (npm run render) writes where a secret exists only
// encrypted in the stack or only after deployment. A profile must never hand such a
// text to a device as if it were the password: a device stores it silently and then
// fails every login, instead of asking the user.
export const SECRET_PLACEHOLDER = "[secret from the stack]";
export const GENERATED_PLACEHOLDER = "[generated at deploy]";

function isPlaceholder(value: string): boolean {
  return value === SECRET_PLACEHOLDER || value === GENERATED_PLACEHOLDER;
}

/**
 * The password a profile may store: undefined when none is known (absent, or a
 * placeholder of the offline render). Every profile renderer goes through this, so a
 * placeholder can never reach a file whichever caller passes it; without a password each
 * format leaves the field out and the device asks for it when the VPN connects.
 */
export function storablePassword(value: string | undefined): string | undefined {
  return value === undefined || isPlaceholder(value) ? undefined : value;
}
