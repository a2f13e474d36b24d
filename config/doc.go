// Package config reads, checks and defaults Loupe's configuration file, which
// is a Clair v4 configuration file plus the Loupe key data_dir.
//
// It is the only package that reads configuration. It does not log: problems
// are returned, as errors when Loupe must not start and as [Lint] values
// otherwise, for the caller to print.
//
// # Loading
//
// [Load] takes the path of the root file, which must end in .yaml, .yml or
// .json (Clair refuses .yml; Loupe takes it with a lint):
//
//  1. The root file is read. YAML is converted to JSON and must fit in it
//     (string keys, finite numbers); an empty YAML file is {}. The root must
//     be an object.
//  2. Drop-ins are applied from the directory named like the root file plus
//     ".d" (config.yaml.d/), if it exists, in lexical order and without
//     descending into subdirectories. A file with the root's extension is an
//     RFC 7386 merge patch: objects merge, everything else (lists too) is
//     replaced and null deletes. A file with the root's extension plus
//     "-patch" (.yaml-patch, .json-patch) is an RFC 6902 JSON patch and must
//     be an array; a failing "test" operation stops the load. Other files
//     are ignored, including the other format's.
//  3. The merged document is decoded strictly: every unknown key and every
//     value of the wrong type is an error naming its JSON path
//     ($.matcher.perod) and the file it came from.
//
// [Decode] does steps 1 and 3 on a single document.
//
// # Validation
//
// The mode is not part of the file; it comes from the command line. [Validate]
// checks a loaded Config for a [Mode], fills in the defaults (the Default
// constants, documented on each field) and returns the lints and a fatal
// error. The indexer, matcher and notifier blocks are checked and defaulted
// only in modes that run those services, so one file can serve every node of
// a deployment.
//
// # Encodings
//
// Durations ([Duration]) are strings such as "90s" or "6h"; integer
// nanoseconds, as written for Clair before 4.7, are also read, with a lint.
// log_level is a case-insensitive name; absent means info and "" is refused.
// auth.psk.key is standard base64. Free-form blocks (updaters.config.*,
// matchers.config.*, indexer.scanner.*.*) are kept as raw JSON for the
// component they name to decode, and are not checked here.
//
// # Storage
//
// A connstring that is empty or starts with "sqlite:" selects the embedded
// database ([IsEmbedded]), stored under [Config.DataDirectory] by default;
// anything else is a PostgreSQL connection string. Unlike Clair, an empty
// connstring therefore does not fall back to the PG* environment variables.
//
// # Keys not acted on yet
//
// Some keys are accepted, so that every Clair config loads, but Loupe does
// not implement what they configure yet. Validate reports each one that is
// set with a lint; the list lives in unsupported.go.
package config
