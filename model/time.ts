// Time units for the model's date arithmetic (expiry warnings, certificate status).
export const DAY_MS = 86_400_000;
