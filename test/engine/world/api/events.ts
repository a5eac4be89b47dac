// account/events: what the provider polls around instance create and delete
// (linodego waitfor.go: EventPoller.PreTask lists events for the entity,
// WaitForLatestUnknownEvent lists again for a new id, WaitForFinished GETs
// account/events/{id} until status is "finished").
import type { Router } from "./http";
import { idParam, notFound, paged } from "./http";
import type { EventRec, World } from "./state";

/** Event shape (linodego account_events.go Event; `created` in the API's zone-less layout). */
export function eventBody(e: EventRec) {
  const done = e.status === "finished" || e.status === "failed";
  return {
    id: e.id,
    action: e.action,
    created: e.created,
    duration: done ? 0 : null,
    entity: { ...e.entity },
    message: null,
    percent_complete: done ? 100 : 0,
    rate: null,
    read: e.read,
    secondary_entity: null,
    seen: e.seen,
    status: e.status,
    time_remaining: null,
    username: "world",
  };
}

export function registerEvents(router: Router, world: World): void {
  router
    // Newest first, as the API lists events when no order is asked for.
    .on("GET account/events", (req) => paged(req, [...world.events].reverse().map(eventBody)))
    .on("GET account/events/:id", (_req, [id]) => {
      const e = world.events.find((x) => x.id === idParam(id));
      if (!e) throw notFound();
      return eventBody(e);
    })
    .on("POST account/events/:id/seen", (_req, [id]) => {
      const n = idParam(id);
      for (const e of world.events) if (e.id <= n) e.seen = true;
      return {};
    })
    .on("POST account/events/:id/read", (_req, [id]) => {
      const e = world.events.find((x) => x.id === idParam(id));
      if (!e) throw notFound();
      e.read = true;
      return {};
    });
}
