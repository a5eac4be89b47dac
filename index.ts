// Entry point: `pulumi up` runs this. Everything happens in program.ts.
import { program } from "./program";

const outputs = program();

export const regions = outputs.then((o) => o.regions);
export const certificateNotAfter = outputs.then((o) => o.certificateNotAfter);
export const passwords = outputs.then((o) => o.passwords);
export const profiles = outputs.then((o) => o.profiles);
export const servers = outputs.then((o) => o.servers);
