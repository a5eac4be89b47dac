// Time units for date arithmetic: the expiry warnings, the certificate status and
// the renewal window (components/acme/renewal.ts).
export const DAY_MS = 86_400_000;
