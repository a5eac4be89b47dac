// The local Linode API v4 (see server.ts); the runtime imports from here or from ./backends.
export * from "./backends";
export { startLinodeApi } from "./server";
