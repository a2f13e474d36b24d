// Package deploy holds Loupe's deployment artefacts and the tests that keep
// them working: an nginx configuration (nginx/), Traefik configurations
// (traefik/), Kubernetes manifests as a kustomize layout (kubernetes/), a
// systemd unit (systemd/); README.md says how to use each. The Dockerfile
// at the repository root builds the image the manifests name.
//
// # Contract
//
// The package's Go API is small and stable enough for other tests to build
// on:
//
//   - [Nginx] and its Render method produce the nginx.conf of
//     nginx/loupe.conf for any upstream addresses, listen address and,
//     for running nginx without root, a runtime directory. nginx/loupe.conf
//     is Render's output for [DefaultNginx]; a test fails when the two
//     drift apart.
//   - [NginxPath] finds the nginx binary.
//
// The package itself imports only the standard library; what the tests
// need (kustomize, the Kubernetes API types) is imported by test files
// only.
//
// # What the tests check
//
// go test ./deploy builds each kustomize overlay in-process and decodes
// every object strictly into its Kubernetes API type, then checks how the
// objects fit together (selectors, probes, Services, Ingress backends,
// mounted ConfigMaps and Secrets, HPA and PDB targets) and that the
// configuration each Deployment mounts loads and validates with Loupe's
// config package for the mode it runs. It runs nginx -t on a rendered
// nginx.conf and routes real requests through nginx to loopback servers;
// it parses the Traefik files strictly and checks that routers, services,
// middlewares and entry points agree; it runs systemd-analyze verify on the
// unit when systemd-analyze is installed; and it loads and validates every
// example Loupe configuration file here.
//
// Without nginx the nginx tests are skipped with a note on stderr, and fail
// when CI=true.
package deploy
