// Package telemetry sets up OpenTelemetry tracing from the configuration
// file's trace block, and instruments HTTP servers and clients.
//
// # Contract
//
// Setup reads cfg.Trace, with the meaning Clair gives its keys:
//
//   - name "otlp" exports spans over OTLP: over HTTP (protobuf) when
//     trace.otlp.http is given, over gRPC when trace.otlp.grpc is given,
//     both when both are (the config lint warns of that), and when
//     neither is, over HTTP as the standard OTEL_EXPORTER_OTLP_*
//     environment variables say (by default to localhost:4318).
//   - name "stdout" writes spans to standard output, as JSON.
//   - name "" traces nothing, whatever else the block says. So do
//     "sentry" (no Sentry exporter exists, in Clair either), "jaeger"
//     (deprecated in Clair, and its exporter gone from OpenTelemetry:
//     point "otlp" at the Jaeger collector's OTLP port instead) and any
//     other name; Setup logs why for the latter two.
//   - probability is the fraction of new traces sampled, 0 to 1; a span
//     whose parent came from another process follows the parent's
//     decision. Unset samples no new trace (only propagated sampled
//     ones). Under the debug log levels every span is sampled.
//
// The OTLP keys map to the exporters' options: endpoint (host:port),
// url_path (HTTP), compression ("gzip" or "none"), headers (HTTP headers,
// or gRPC metadata), timeout (per export), reconnect and service_config
// (gRPC), client_tls (a client certificate; the collector's certificate is
// checked against the system roots, which SSL_CERT_FILE and SSL_CERT_DIR
// extend), and insecure: plain HTTP, or gRPC without TLS.
//
// When tracing is on, Setup installs a global tracer provider (a batching
// span processor per exporter), the W3C trace-context and baggage
// propagators, and an error handler that logs export failures; spans carry
// the resource attribute service.name (the service argument, unless
// OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES say otherwise) and the
// host name. The returned shutdown flushes the spans still buffered and
// puts the previous global provider and propagator back. When tracing is
// off, Setup changes nothing and shutdown does nothing.
//
// Handler and Transport instrument HTTP: server spans for the requests a
// handler serves, named "METHOD route" by the route pattern the request
// matched (see internal/httproute; the API's route tables mark it), never
// the raw path; and client spans for outgoing requests, which carry the
// trace context to the server they call. Query string values are redacted
// from the recorded URLs (layer URLs are often presigned). Both pass
// requests straight through while tracing is off.
//
// Metrics stay with Prometheus: the configuration's metrics.otlp block
// is not acted on (the config lint says so).
package telemetry
