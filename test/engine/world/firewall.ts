// FirewallBackend: Linode Cloud Firewalls enforced by the world's nftables table
// (rendered by nft.ts). Every apply() replaces the whole table in one transaction,
// so the path to an instance never sees half a rule set.
import type { FirewallBackend, FirewallState } from "./api/backends";
import { ExitPolicy, loadTable, renderTable } from "./nft";

export class Firewalls implements FirewallBackend {
  private current: FirewallState[] = [];

  constructor(
    private readonly exit: ExitPolicy,
    private readonly onChange?: () => void,
  ) {}

  /** Loads the table with no firewall (the exit rules only). */
  async init(): Promise<void> {
    await loadTable(renderTable(this.exit, []));
  }

  async apply(all: FirewallState[]): Promise<void> {
    const copy = JSON.parse(JSON.stringify(all)) as FirewallState[];
    await loadTable(renderTable(this.exit, copy));
    this.current = copy;
    this.onChange?.();
  }

  /** The set last enforced. */
  list(): FirewallState[] {
    return this.current;
  }
}
