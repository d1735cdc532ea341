//! `jwt-role-claim-key`: PostgREST's JSONPath subset (and the legacy JSPath form) that finds the role claim.
