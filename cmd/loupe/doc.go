// Command loupe is Loupe's server: the indexer, matcher and notifier
// services, in one process (-mode combo) or one per process.
//
// It takes Clair's flags and environment: -conf (or LOUPE_CONF, or
// CLAIR_CONF) names the config file, -mode (or LOUPE_MODE, or CLAIR_MODE)
// the mode. With no config file at all, combo mode runs on the defaults:
// the embedded database under data_dir and the API on :6060.
//
// LOUPE_TEST_INTERVALS shortens the background intervals below what the
// config allows, for tests and demos that run whole processes, never for
// production: a comma-separated list of updater=D (matcher.period),
// poll=D (notifier.poll_interval), retry=D (the first delivery retry) and
// reload=D (how often a matcher looks for data another process landed),
// D a Go duration such as 200ms.
package main
