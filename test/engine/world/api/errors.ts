// Linode-shaped API errors (linodego errors.go: APIError {errors:[{reason, field}]}).

/** A Linode API error: `{"errors":[{"reason","field"}]}` with this status (linodego errors.go APIError). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errors: { reason: string; field?: string }[],
  ) {
    super(errors.map((e) => (e.field ? `[${e.field}] ${e.reason}` : e.reason)).join("; "));
  }
}

export const notFound = (): ApiError => new ApiError(404, [{ reason: "Not found" }]);
export const invalid = (field: string | undefined, reason: string): ApiError => new ApiError(400, [field ? { field, reason } : { reason }]);
