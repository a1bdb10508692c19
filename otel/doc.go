// Package sessbridgeotel records OpenTelemetry metrics and spans for a
// sessbridge [manager.Manager], through the manager's [manager.Hooks]. It is
// a module of its own, so that the sessbridge core does not depend on
// OpenTelemetry; enable it with one call on a Manager, as go-redis's
// redisotel does on a client:
//
//	m, _ := manager.New(store, manager.Config{})
//	if err := sessbridgeotel.Instrument(m); err != nil { ... }
//
// Instrument uses the global providers (otel.GetMeterProvider,
// otel.GetTracerProvider) unless [WithMeterProvider] or [WithTracerProvider]
// say otherwise. When the manager's store is a redisstore, its go-redis
// client is instrumented too, with go-redis's own redisotel (commands as
// child spans of the session's load and save; connection pool metrics),
// unless [WithoutRedis] is given.
//
// # Metrics
//
// Every instrument carries the attribute sessbridge.store (the store's
// package: "filestore", "redisstore", "memcachedstore"...), and error.type
// when the operation failed: "conflict" (compare-and-swap retries spent),
// "lock_timeout", "format_mismatch" (the stored session is in another
// format), "decode" (the stored session did not decode), "timeout",
// "canceled" or "_OTHER".
//
//	sessbridge.session.load.duration   histogram  s           reading a session (sessbridge.session.found)
//	sessbridge.session.load.size       histogram  By          stored payload read
//	sessbridge.session.save.duration   histogram  s           saving a session (sessbridge.save.op: write, merge, touch)
//	sessbridge.session.save.size       histogram  By          payload written (not for touches)
//	sessbridge.session.save.attempts   histogram  {attempt}   writes per save (more than 1 after conflicts)
//	sessbridge.session.lock.wait       histogram  s           waiting for the store's lock in a save
//	sessbridge.session.lock.hold       histogram  s           holding it
//	sessbridge.session.conflicts       counter    {conflict}  lost compare-and-swap writes (sessbridge.retried)
//
// # Spans
//
// A load is a span "sessbridge.session.load", a save "sessbridge.session.save"
// (kind internal, children of the request's span), with the attributes
// above and the payload size; lock waits and holds and conflicts are
// events on the save's span (a request lock, [manager.Config.LockRequests],
// is taken during the load and reported when the save releases it). The store's own spans (redisotel's) are their children.
//
// # Security considerations
//
// No span, event or metric holds a session id, a key or a value: failed
// operations record error.type, not the error's text (which names the
// session). The Redis instrumentation is set up without db.statement, which
// would hold session keys (and so ids) and payloads.
package sessbridgeotel
