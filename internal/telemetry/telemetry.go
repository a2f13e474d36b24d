package telemetry

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"google.golang.org/grpc/credentials"

	"github.com/loupe-dev/loupe/config"
)

// active counts the tracer providers of Setup's installed: Handler and
// Transport pass requests straight through while there are none.
var active atomic.Int32

// Setup installs tracing as cfg.Trace says (see the package
// documentation), for spans of service. When tracing is off it does
// nothing, and shutdown is a no-op.
func Setup(ctx context.Context, cfg *config.Config, service string) (shutdown func(context.Context) error, err error) {
	noop := func(context.Context) error { return nil }
	t := &cfg.Trace
	var exporters []sdktrace.SpanExporter
	switch t.Name {
	case "":
		return noop, nil
	case "otlp":
		if t.OTLP.HTTP != nil || t.OTLP.GRPC == nil {
			e, err := httpExporter(ctx, t.OTLP.HTTP)
			if err != nil {
				return nil, err
			}
			exporters = append(exporters, e)
		}
		if t.OTLP.GRPC != nil {
			e, err := grpcExporter(ctx, t.OTLP.GRPC)
			if err != nil {
				return nil, err
			}
			exporters = append(exporters, e)
		}
	case "stdout":
		e, err := stdouttrace.New(stdouttrace.WithWriter(os.Stdout))
		if err != nil {
			return nil, fmt.Errorf("trace: stdout exporter: %w", err)
		}
		exporters = append(exporters, e)
	case "jaeger":
		slog.WarnContext(ctx, `tracing off: the Jaeger exporter is not supported; use trace.name "otlp" with the collector's OTLP endpoint`)
		return noop, nil
	case "sentry":
		return noop, nil
	default:
		slog.WarnContext(ctx, "tracing off: unknown trace provider", "name", t.Name)
		return noop, nil
	}

	res, err := resource.New(ctx,
		resource.WithSchemaURL(semconv.SchemaURL),
		resource.WithAttributes(semconv.ServiceName(service)),
		resource.WithHost(),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(),
	)
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("trace: resource: %w", err)
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res), sdktrace.WithSampler(sampler(cfg))}
	for _, e := range exporters {
		opts = append(opts, sdktrace.WithBatcher(e))
	}
	tp := sdktrace.NewTracerProvider(opts...)

	prevTP, prevProp := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		slog.Warn("tracing", "reason", err)
	}))
	active.Add(1)
	slog.InfoContext(ctx, "tracing on", "exporter", t.Name, "service", service)
	return func(ctx context.Context) error {
		active.Add(-1)
		otel.SetTracerProvider(prevTP)
		otel.SetTextMapPropagator(prevProp)
		return tp.Shutdown(ctx)
	}, nil
}

// sampler applies trace.probability: parent-based, sampling that fraction
// of new traces, none when unset; everything under debug logging.
func sampler(cfg *config.Config) sdktrace.Sampler {
	switch cfg.LogLevel {
	case config.LogDebug, config.LogDebugColor:
		return sdktrace.AlwaysSample()
	}
	p := cfg.Trace.Probability
	if p == nil {
		return sdktrace.ParentBased(sdktrace.NeverSample())
	}
	return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(min(max(*p, 0), 1)))
}

// clientTLS loads a client certificate; the collector's certificate is
// checked against the system roots.
func clientTLS(t *config.TLS) (*tls.Config, error) {
	if t == nil || t.Cert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(t.Cert, t.Key)
	if err != nil {
		return nil, fmt.Errorf("trace: client_tls: %w", err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

// httpExporter builds the OTLP/HTTP exporter; nil h means the
// environment's (OTEL_EXPORTER_OTLP_*) settings.
func httpExporter(ctx context.Context, h *config.OTLPHTTP) (*otlptrace.Exporter, error) {
	var opts []otlptracehttp.Option
	if h != nil {
		if h.Endpoint != "" {
			opts = append(opts, otlptracehttp.WithEndpoint(h.Endpoint))
		}
		if h.URLPath != "" {
			opts = append(opts, otlptracehttp.WithURLPath(h.URLPath))
		}
		switch h.Compression {
		case config.CompressionGzip:
			opts = append(opts, otlptracehttp.WithCompression(otlptracehttp.GzipCompression))
		case config.CompressionNone:
			opts = append(opts, otlptracehttp.WithCompression(otlptracehttp.NoCompression))
		}
		if len(h.Headers) > 0 {
			opts = append(opts, otlptracehttp.WithHeaders(h.Headers))
		}
		if h.Insecure {
			opts = append(opts, otlptracehttp.WithInsecure())
		}
		if h.Timeout != nil && *h.Timeout > 0 {
			opts = append(opts, otlptracehttp.WithTimeout(time.Duration(*h.Timeout)))
		}
		tc, err := clientTLS(h.ClientTLS)
		if err != nil {
			return nil, err
		}
		if tc != nil && !h.Insecure {
			opts = append(opts, otlptracehttp.WithTLSClientConfig(tc))
		}
	}
	e, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("trace: otlp http exporter: %w", err)
	}
	return e, nil
}

// grpcExporter builds the OTLP/gRPC exporter. The connection is made
// lazily: an unreachable collector is not a startup error.
func grpcExporter(ctx context.Context, g *config.OTLPGRPC) (*otlptrace.Exporter, error) {
	var opts []otlptracegrpc.Option
	if g.Endpoint != "" {
		opts = append(opts, otlptracegrpc.WithEndpoint(g.Endpoint))
	}
	if g.Reconnect != nil && *g.Reconnect > 0 {
		opts = append(opts, otlptracegrpc.WithReconnectionPeriod(time.Duration(*g.Reconnect)))
	}
	if g.ServiceConfig != "" {
		opts = append(opts, otlptracegrpc.WithServiceConfig(g.ServiceConfig))
	}
	if g.Compression == config.CompressionGzip {
		opts = append(opts, otlptracegrpc.WithCompressor("gzip"))
	}
	if len(g.Headers) > 0 {
		opts = append(opts, otlptracegrpc.WithHeaders(g.Headers))
	}
	if g.Timeout != nil && *g.Timeout > 0 {
		opts = append(opts, otlptracegrpc.WithTimeout(time.Duration(*g.Timeout)))
	}
	if g.Insecure {
		opts = append(opts, otlptracegrpc.WithInsecure())
	} else {
		tc, err := clientTLS(g.ClientTLS)
		if err != nil {
			return nil, err
		}
		if tc == nil {
			tc = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		opts = append(opts, otlptracegrpc.WithTLSCredentials(credentials.NewTLS(tc)))
	}
	e, err := otlptracegrpc.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("trace: otlp grpc exporter: %w", err)
	}
	return e, nil
}
