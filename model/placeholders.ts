// What the offline render (npm run render) writes where a secret exists only
// encrypted in the stack or only after deployment. A profile must never hand such a
// text to a device as if it were the password.
export const SECRET_PLACEHOLDER = "[secret from the stack]";
export const GENERATED_PLACEHOLDER = "[generated at deploy]";

export function isPlaceholder(value: string): boolean {
  return value === SECRET_PLACEHOLDER || value === GENERATED_PLACEHOLDER;
}
