//! The HTTP edge: listeners, routing, request assembly, responses and the one error-to-HTTP mapping.
