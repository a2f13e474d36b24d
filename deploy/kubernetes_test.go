package deploy

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/loupe-dev/loupe/config"
	"github.com/loupe-dev/loupe/server"
)

// The image every Loupe container names, so that kustomize's images:
// field can replace it.
const loupeImage = "ghcr.io/loupe-dev/loupe"

// The ports Loupe listens on by default.
const (
	apiPort           = 6060
	introspectionPort = 8089
)

// Loupe's shutdown grace for requests in flight, in seconds.
var loupeShutdownGrace = int64(server.DefaultShutdownGrace / time.Second)

// overlays lists the kustomize overlays and the modes of the Deployments
// each must contain.
var overlays = []struct {
	dir   string
	modes []string
}{
	{"kubernetes/combo", []string{"combo"}},
	{"kubernetes/distributed", []string{"indexer", "matcher", "notifier"}},
}

func TestKubernetesOverlays(t *testing.T) {
	for _, o := range overlays {
		t.Run(filepath.Base(o.dir), func(t *testing.T) {
			objs := buildOverlay(t, o.dir)
			c := &k8sCheck{t: t, objs: objs}
			c.run()

			var modes []string
			for _, w := range c.workloads {
				modes = append(modes, w.mode.String())
			}
			slices.Sort(modes)
			if !slices.Equal(modes, o.modes) {
				t.Errorf("Deployments run modes %v, want %v", modes, o.modes)
			}
			for _, w := range c.workloads {
				if w.mode == config.NotifierMode && (w.d.Spec.Replicas == nil || *w.d.Spec.Replicas != 1) {
					t.Errorf("Deployment %s: the notifier should run one replica", w.d.Name)
				}
				if (w.mode == config.IndexerMode || w.mode == config.MatcherMode) && (c.hpaFor(w.d.Name) == nil || len(c.pdbsFor(w)) == 0) {
					t.Errorf("Deployment %s: want a HorizontalPodAutoscaler and a PodDisruptionBudget", w.d.Name)
				}
			}
		})
	}
}

// TestKubernetesStrictDecoding makes sure the decoding the overlay test
// relies on refuses what the API server would refuse or drop.
func TestKubernetesStrictDecoding(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown field": `apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
spec:
  replica: 2
  selector: {matchLabels: {a: b}}
  template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: i}]}}
`,
		"wrong type": `apiVersion: v1
kind: Service
metadata: {name: x}
spec: {ports: [{port: "http"}]}
`,
		"duplicate field": `apiVersion: v1
kind: ConfigMap
metadata: {name: x, name: y}
`,
		"unknown kind": `apiVersion: v1
kind: Pod2
metadata: {name: x}
`,
	} {
		if _, err := decodeStrict([]byte(doc)); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

// k8sObjects is an overlay's output, decoded.
type k8sObjects struct {
	deployments     []*appsv1.Deployment
	services        []*corev1.Service
	ingresses       []*networkingv1.Ingress
	hpas            []*autoscalingv2.HorizontalPodAutoscaler
	pdbs            []*policyv1.PodDisruptionBudget
	configMaps      map[string]*corev1.ConfigMap
	secrets         map[string]*corev1.Secret
	serviceAccounts map[string]*corev1.ServiceAccount
	pvcs            map[string]*corev1.PersistentVolumeClaim
}

var k8sDecoder = func() runtime.Decoder {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, networkingv1.AddToScheme,
		policyv1.AddToScheme, autoscalingv2.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}()

// decodeStrict decodes one YAML object into its typed Kubernetes API
// object, refusing unknown and duplicate fields, values of the wrong type
// and kinds outside the scheme.
func decodeStrict(doc []byte) (runtime.Object, error) {
	obj, _, err := k8sDecoder.Decode(doc, nil, nil)
	return obj, err
}

// buildOverlay runs kustomize on dir, in process and on the real file
// system, and decodes every object it outputs.
func buildOverlay(t *testing.T, dir string) *k8sObjects {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	rm, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	objs := &k8sObjects{
		configMaps:      map[string]*corev1.ConfigMap{},
		secrets:         map[string]*corev1.Secret{},
		serviceAccounts: map[string]*corev1.ServiceAccount{},
		pvcs:            map[string]*corev1.PersistentVolumeClaim{},
	}
	for _, r := range rm.Resources() {
		doc, err := r.AsYAML()
		if err != nil {
			t.Fatalf("%s: %v", r.CurId(), err)
		}
		obj, err := decodeStrict(doc)
		if err != nil {
			t.Errorf("%s: %v", r.CurId(), err)
			continue
		}
		if m, ok := obj.(metav1.Object); ok {
			checkMeta(t, r.GetKind(), m)
		}
		if m, ok := obj.(metav1.Object); ok && m.GetNamespace() != "" {
			t.Errorf("%s %s: has namespace %q; leave it to the user's kustomization", r.GetKind(), m.GetName(), m.GetNamespace())
		}
		switch o := obj.(type) {
		case *appsv1.Deployment:
			objs.deployments = append(objs.deployments, o)
		case *corev1.Service:
			objs.services = append(objs.services, o)
		case *networkingv1.Ingress:
			objs.ingresses = append(objs.ingresses, o)
		case *autoscalingv2.HorizontalPodAutoscaler:
			objs.hpas = append(objs.hpas, o)
		case *policyv1.PodDisruptionBudget:
			objs.pdbs = append(objs.pdbs, o)
		case *corev1.ConfigMap:
			objs.configMaps[o.Name] = o
		case *corev1.Secret:
			objs.secrets[o.Name] = o
		case *corev1.ServiceAccount:
			objs.serviceAccounts[o.Name] = o
		case *corev1.PersistentVolumeClaim:
			objs.pvcs[o.Name] = o
		default:
			t.Errorf("%s: kind %T is not checked by this test; teach it", r.CurId(), obj)
		}
	}
	return objs
}

// checkMeta checks what the API server's validation would: names, label
// keys and values, annotation keys.
func checkMeta(t *testing.T, kind string, m metav1.Object) {
	t.Helper()
	nameCheck := validation.IsDNS1123Subdomain
	if kind == "Service" {
		nameCheck = validation.IsDNS1035Label
	}
	for _, msg := range nameCheck(m.GetName()) {
		t.Errorf("%s %q: name: %s", kind, m.GetName(), msg)
	}
	for k, v := range m.GetLabels() {
		for _, msg := range append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...) {
			t.Errorf("%s %s: label %s=%s: %s", kind, m.GetName(), k, v, msg)
		}
	}
	for k := range m.GetAnnotations() {
		for _, msg := range validation.IsQualifiedName(k) {
			t.Errorf("%s %s: annotation %s: %s", kind, m.GetName(), k, msg)
		}
	}
}

// workload is a Deployment running Loupe, with what its container runs.
type workload struct {
	d       *appsv1.Deployment
	c       *corev1.Container
	mode    config.Mode
	cfg     *config.Config // loaded and validated for mode; nil if that failed
	confDir string         // where the mounted files were written, for messages
}

type k8sCheck struct {
	t         *testing.T
	objs      *k8sObjects
	workloads []*workload
}

func (c *k8sCheck) errorf(format string, args ...any) {
	c.t.Helper()
	c.t.Errorf(format, args...)
}

func (c *k8sCheck) run() {
	if len(c.objs.deployments) == 0 {
		c.errorf("no Deployment")
	}
	for _, d := range c.objs.deployments {
		if w := c.checkDeployment(d); w != nil {
			c.workloads = append(c.workloads, w)
		}
	}
	for _, w := range c.workloads {
		if w.cfg != nil {
			c.checkStorage(w)
			c.checkPeers(w)
		}
	}
	for _, s := range c.objs.services {
		c.checkService(s)
	}
	for _, ing := range c.objs.ingresses {
		c.checkIngress(ing)
	}
	for _, h := range c.objs.hpas {
		c.checkHPA(h)
	}
	for _, p := range c.objs.pdbs {
		c.checkPDB(p)
	}
}

func (c *k8sCheck) checkDeployment(d *appsv1.Deployment) *workload {
	name := "Deployment " + d.Name
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	switch {
	case err != nil:
		c.errorf("%s: selector: %v", name, err)
	case d.Spec.Selector == nil || sel.Empty():
		c.errorf("%s: empty selector", name)
	case !sel.Matches(labels.Set(d.Spec.Template.Labels)):
		c.errorf("%s: selector %s does not match the template's labels %v", name, sel, d.Spec.Template.Labels)
	}
	pod := &d.Spec.Template.Spec
	if len(pod.Containers) != 1 || pod.Containers[0].Name != "loupe" {
		c.errorf("%s: want one container, named loupe", name)
		return nil
	}
	ctr := &pod.Containers[0]
	c.checkImage(name, ctr.Image)
	c.checkPorts(name, ctr)
	c.checkProbes(name, ctr)
	c.checkSecurity(name, pod, ctr)
	c.checkReferences(name, pod)
	c.checkResources(name, ctr)
	c.checkShutdown(name, pod, ctr)
	c.checkTmpdir(name, pod, ctr)

	w := &workload{d: d, c: ctr}
	confPath, mode, err := loupeCommandLine(ctr)
	if err != nil {
		c.errorf("%s: %v", name, err)
		return nil
	}
	w.mode = mode
	if confPath == "" {
		c.errorf("%s: no -conf or LOUPE_CONF: Loupe would run on the defaults", name)
		return w
	}
	w.confDir = c.t.TempDir()
	root, err := c.materialize(pod, ctr, w.confDir)
	if err != nil {
		c.errorf("%s: %v", name, err)
		return w
	}
	cfg, err := config.Load(filepath.Join(root, filepath.FromSlash(confPath)))
	if err != nil {
		c.errorf("%s: the mounted configuration does not load: %v", name, err)
		return w
	}
	lints, err := config.Validate(cfg, mode)
	for _, l := range lints {
		c.t.Logf("%s (-mode %s): configuration lint: %s", name, mode, l)
	}
	if err != nil {
		c.errorf("%s: the mounted configuration is invalid for -mode %s: %v", name, mode, err)
		return w
	}
	w.cfg = cfg
	return w
}

func (c *k8sCheck) checkImage(name, image string) {
	repo := image
	if i := strings.IndexByte(repo, '@'); i >= 0 {
		repo = repo[:i]
	}
	if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
		repo = repo[:i]
	}
	if repo != loupeImage {
		c.errorf("%s: image %q: want %s, which kustomize's images: field replaces", name, image, loupeImage)
	}
}

func (c *k8sCheck) checkPorts(name string, ctr *corev1.Container) {
	seen := map[int32]bool{}
	for _, p := range ctr.Ports {
		seen[p.ContainerPort] = true
		if p.Name != "" {
			for _, msg := range validation.IsValidPortName(p.Name) {
				c.errorf("%s: port name %q: %s", name, p.Name, msg)
			}
		}
	}
	for _, p := range []int32{apiPort, introspectionPort} {
		if !seen[p] {
			c.errorf("%s: container port %d not declared", name, p)
		}
	}
}

func (c *k8sCheck) checkProbes(name string, ctr *corev1.Container) {
	for _, p := range []struct {
		kind  string
		probe *corev1.Probe
		paths []string
	}{
		{"readiness", ctr.ReadinessProbe, []string{"/readyz"}},
		{"liveness", ctr.LivenessProbe, []string{"/healthz"}},
		{"startup", ctr.StartupProbe, []string{"/healthz", "/readyz"}},
	} {
		if p.probe == nil {
			if p.kind != "startup" {
				c.errorf("%s: no %s probe", name, p.kind)
			}
			continue
		}
		g := p.probe.HTTPGet
		if g == nil {
			c.errorf("%s: %s probe: want httpGet", name, p.kind)
			continue
		}
		if !slices.Contains(p.paths, g.Path) {
			c.errorf("%s: %s probe: path %q, want %s", name, p.kind, g.Path, strings.Join(p.paths, " or "))
		}
		if port, ok := containerPort(ctr, g.Port); !ok || port != introspectionPort {
			c.errorf("%s: %s probe: port %s is not the introspection port %d", name, p.kind, g.Port.String(), introspectionPort)
		}
		if g.Scheme != "" && g.Scheme != corev1.URISchemeHTTP {
			c.errorf("%s: %s probe: the introspection listener has no TLS", name, p.kind)
		}
	}
	if ctr.StartupProbe == nil && ctr.LivenessProbe != nil {
		// Loupe serves /healthz only once started; without a startup probe
		// the liveness probe must wait out a slow start.
		if ctr.LivenessProbe.InitialDelaySeconds < 60 {
			c.errorf("%s: no startup probe, and the liveness probe would kill a slow start", name)
		}
	}
}

// containerPort resolves a probe's or Service's port (a number or a
// container port name) to a container port number.
func containerPort(ctr *corev1.Container, p intstr.IntOrString) (int32, bool) {
	if p.Type == intstr.Int {
		for _, cp := range ctr.Ports {
			if cp.ContainerPort == p.IntVal {
				return p.IntVal, true
			}
		}
		return p.IntVal, p.IntVal > 0 // an undeclared port still reaches the container
	}
	for _, cp := range ctr.Ports {
		if cp.Name == p.StrVal {
			return cp.ContainerPort, true
		}
	}
	return 0, false
}

func (c *k8sCheck) checkSecurity(name string, pod *corev1.PodSpec, ctr *corev1.Container) {
	psc := pod.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	sc := ctr.SecurityContext
	if sc == nil {
		sc = &corev1.SecurityContext{}
	}
	nonRoot := cmpOr(sc.RunAsNonRoot, psc.RunAsNonRoot)
	if nonRoot == nil || !*nonRoot {
		c.errorf("%s: runAsNonRoot is not set", name)
	}
	if uid := cmpOr(sc.RunAsUser, psc.RunAsUser); uid == nil || *uid == 0 {
		c.errorf("%s: no non-zero runAsUser (the image's user is 65532)", name)
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		c.errorf("%s: allowPrivilegeEscalation is not false", name)
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		c.errorf("%s: the root file system is not read-only", name)
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
		c.errorf("%s: capabilities: want drop [ALL] and nothing added", name)
	}
	if sec := cmpOr(sc.SeccompProfile, psc.SeccompProfile); sec == nil || sec.Type != corev1.SeccompProfileTypeRuntimeDefault {
		c.errorf("%s: seccomp profile is not RuntimeDefault", name)
	}
}

func cmpOr[T any](vals ...*T) *T {
	for _, v := range vals {
		if v != nil {
			return v
		}
	}
	return nil
}

// checkReferences checks that the ServiceAccount, ConfigMaps, Secrets and
// claims the pod names exist, with the keys it names.
func (c *k8sCheck) checkReferences(name string, pod *corev1.PodSpec) {
	sa := cmpOrString(pod.ServiceAccountName, "default")
	if _, ok := c.objs.serviceAccounts[sa]; !ok {
		c.errorf("%s: ServiceAccount %q is not in the overlay", name, sa)
	} else {
		auto := cmpOr(pod.AutomountServiceAccountToken, c.objs.serviceAccounts[sa].AutomountServiceAccountToken)
		if auto == nil || *auto {
			c.errorf("%s: mounts a ServiceAccount token Loupe does not use", name)
		}
	}
	for _, v := range pod.Volumes {
		switch {
		case v.ConfigMap != nil:
			c.checkKeys(name, "ConfigMap", v.ConfigMap.Name, v.ConfigMap.Items, v.ConfigMap.Optional)
		case v.Secret != nil:
			c.checkKeys(name, "Secret", v.Secret.SecretName, v.Secret.Items, v.Secret.Optional)
		case v.Projected != nil:
			for _, s := range v.Projected.Sources {
				if s.ConfigMap != nil {
					c.checkKeys(name, "ConfigMap", s.ConfigMap.Name, s.ConfigMap.Items, s.ConfigMap.Optional)
				}
				if s.Secret != nil {
					c.checkKeys(name, "Secret", s.Secret.Name, s.Secret.Items, s.Secret.Optional)
				}
			}
		case v.PersistentVolumeClaim != nil:
			if _, ok := c.objs.pvcs[v.PersistentVolumeClaim.ClaimName]; !ok {
				c.errorf("%s: PersistentVolumeClaim %q is not in the overlay", name, v.PersistentVolumeClaim.ClaimName)
			}
		case v.EmptyDir != nil:
		default:
			c.errorf("%s: volume %s: a kind this test does not know", name, v.Name)
		}
	}
	for _, ctr := range pod.Containers {
		for _, e := range ctr.Env {
			if f := e.ValueFrom; f != nil {
				if r := f.ConfigMapKeyRef; r != nil {
					c.checkKeys(name, "ConfigMap", r.Name, []corev1.KeyToPath{{Key: r.Key}}, r.Optional)
				}
				if r := f.SecretKeyRef; r != nil {
					c.checkKeys(name, "Secret", r.Name, []corev1.KeyToPath{{Key: r.Key}}, r.Optional)
				}
			}
		}
		for _, e := range ctr.EnvFrom {
			if r := e.ConfigMapRef; r != nil {
				c.checkKeys(name, "ConfigMap", r.Name, nil, r.Optional)
			}
			if r := e.SecretRef; r != nil {
				c.checkKeys(name, "Secret", r.Name, nil, r.Optional)
			}
		}
	}
}

func cmpOrString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (c *k8sCheck) checkKeys(name, kind, obj string, items []corev1.KeyToPath, optional *bool) {
	if optional != nil && *optional {
		return
	}
	keys := c.keys(kind, obj)
	if keys == nil {
		c.errorf("%s: %s %q is not in the overlay", name, kind, obj)
		return
	}
	for _, it := range items {
		if _, ok := keys[it.Key]; !ok {
			c.errorf("%s: %s %q has no key %q", name, kind, obj, it.Key)
		}
		if it.Path != "" && (path.IsAbs(it.Path) || slices.Contains(strings.Split(it.Path, "/"), "..")) {
			c.errorf("%s: %s %q: item path %q must be relative, without ..", name, kind, obj, it.Path)
		}
	}
}

// keys returns the contents of a ConfigMap or Secret by key, or nil if the
// overlay does not have it.
func (c *k8sCheck) keys(kind, name string) map[string][]byte {
	out := map[string][]byte{}
	switch kind {
	case "ConfigMap":
		cm, ok := c.objs.configMaps[name]
		if !ok {
			return nil
		}
		for k, v := range cm.Data {
			out[k] = []byte(v)
		}
		for k, v := range cm.BinaryData {
			out[k] = v
		}
	case "Secret":
		s, ok := c.objs.secrets[name]
		if !ok {
			return nil
		}
		for k, v := range s.Data {
			out[k] = v
		}
		for k, v := range s.StringData {
			out[k] = []byte(v)
		}
	}
	return out
}

func (c *k8sCheck) checkResources(name string, ctr *corev1.Container) {
	req, lim := ctr.Resources.Requests, ctr.Resources.Limits
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := req[r]; !ok {
			c.errorf("%s: no %s request", name, r)
		}
	}
	memLimit, ok := lim[corev1.ResourceMemory]
	if !ok {
		c.errorf("%s: no memory limit", name)
	}
	for k, q := range req {
		if l, ok := lim[k]; ok && q.Cmp(l) > 0 {
			c.errorf("%s: %s request %s is above the limit %s", name, k, q.String(), l.String())
		}
	}
	for _, e := range ctr.Env {
		if e.Name != "GOMEMLIMIT" {
			continue
		}
		soft, err := parseGoMemLimit(e.Value)
		switch {
		case err != nil:
			c.errorf("%s: GOMEMLIMIT=%q: %v", name, e.Value, err)
		case ok && soft >= memLimit.Value():
			c.errorf("%s: GOMEMLIMIT=%s is not below the memory limit %s", name, e.Value, memLimit.String())
		}
	}
}

// parseGoMemLimit parses GOMEMLIMIT as the Go runtime does: a number of
// bytes with an optional B, KiB, MiB, GiB or TiB suffix.
func parseGoMemLimit(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("not a size the Go runtime reads")
	}
	return n * mult, nil
}

// checkShutdown checks that the pod outlives Loupe's own grace period for
// requests in flight, after any preStop pause.
func (c *k8sCheck) checkShutdown(name string, pod *corev1.PodSpec, ctr *corev1.Container) {
	grace := int64(corev1.DefaultTerminationGracePeriodSeconds)
	if pod.TerminationGracePeriodSeconds != nil {
		grace = *pod.TerminationGracePeriodSeconds
	}
	var pause int64
	if l := ctr.Lifecycle; l != nil && l.PreStop != nil {
		switch {
		case l.PreStop.Sleep != nil:
			pause = l.PreStop.Sleep.Seconds
		default:
			c.errorf("%s: preStop: the image has no shell or tools; use sleep", name)
		}
	}
	if grace <= pause+loupeShutdownGrace {
		c.errorf("%s: terminationGracePeriodSeconds %d leaves Loupe less than its %d s to finish requests after a %d s preStop pause",
			name, grace, loupeShutdownGrace, pause)
	}
}

// checkTmpdir checks that TMPDIR is set to a writable emptyDir mount, the
// root file system being read-only.
func (c *k8sCheck) checkTmpdir(name string, pod *corev1.PodSpec, ctr *corev1.Container) {
	tmp := ""
	for _, e := range ctr.Env {
		if e.Name == "TMPDIR" {
			tmp = e.Value
		}
	}
	if tmp == "" {
		c.errorf("%s: TMPDIR is not set", name)
		return
	}
	m, v := mountFor(pod, ctr, tmp)
	if m == nil || v.EmptyDir == nil || m.ReadOnly {
		c.errorf("%s: TMPDIR %s is not on a writable emptyDir volume", name, tmp)
	}
}

// mountFor returns the volume mount that holds the absolute path p, the
// deepest if several do, and its volume.
func mountFor(pod *corev1.PodSpec, ctr *corev1.Container, p string) (*corev1.VolumeMount, *corev1.Volume) {
	var best *corev1.VolumeMount
	for i, m := range ctr.VolumeMounts {
		if within(p, m.MountPath) && (best == nil || len(m.MountPath) > len(best.MountPath)) {
			best = &ctr.VolumeMounts[i]
		}
	}
	if best == nil {
		return nil, nil
	}
	for i, v := range pod.Volumes {
		if v.Name == best.Name {
			return best, &pod.Volumes[i]
		}
	}
	return best, nil
}

// within reports whether the absolute path p is dir or below it.
func within(p, dir string) bool {
	p, dir = path.Clean(p), path.Clean(dir)
	return p == dir || strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/")
}

// loupeCommandLine returns the config path and the mode the container runs
// Loupe with, read as cmd/loupe reads them: flags, then LOUPE_*, then
// CLAIR_* environment variables, mode combo by default.
func loupeCommandLine(ctr *corev1.Container) (string, config.Mode, error) {
	if len(ctr.Command) > 0 {
		return "", 0, fmt.Errorf("command %q overrides the image's entrypoint; set args", ctr.Command)
	}
	fs := flag.NewFlagSet("loupe", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	conf := fs.String("conf", "", "")
	mode := fs.String("mode", "", "")
	if err := fs.Parse(ctr.Args); err != nil {
		return "", 0, fmt.Errorf("args %q: %v", ctr.Args, err)
	}
	if fs.NArg() > 0 {
		return "", 0, fmt.Errorf("args %q: unexpected arguments", ctr.Args)
	}
	env := map[string]string{}
	for _, e := range ctr.Env {
		if e.ValueFrom == nil {
			env[e.Name] = e.Value
		}
	}
	first := func(vals ...string) string {
		for _, v := range vals {
			if v != "" {
				return v
			}
		}
		return ""
	}
	m, err := config.ParseMode(first(*mode, env["LOUPE_MODE"], env["CLAIR_MODE"], "combo"))
	if err != nil {
		return "", 0, err
	}
	p := first(*conf, env["LOUPE_CONF"], env["CLAIR_CONF"])
	if p != "" && !path.IsAbs(p) {
		return "", 0, fmt.Errorf("-conf %q: want an absolute path (the image has no working directory of note)", p)
	}
	return p, m, nil
}

// materialize writes the files of the container's ConfigMap, Secret and
// projected volume mounts under root, at their in-container paths, and
// returns root.
func (c *k8sCheck) materialize(pod *corev1.PodSpec, ctr *corev1.Container, root string) (string, error) {
	for _, m := range ctr.VolumeMounts {
		var v *corev1.Volume
		for i := range pod.Volumes {
			if pod.Volumes[i].Name == m.Name {
				v = &pod.Volumes[i]
			}
		}
		if v == nil {
			return "", fmt.Errorf("volume mount %s: no volume of that name", m.Name)
		}
		if m.SubPath != "" || m.SubPathExpr != "" {
			return "", fmt.Errorf("volume mount %s: subPath mounts do not see updates; mount the whole volume", m.Name)
		}
		type source struct {
			kind, name string
			items      []corev1.KeyToPath
		}
		var sources []source
		switch {
		case v.ConfigMap != nil:
			sources = append(sources, source{"ConfigMap", v.ConfigMap.Name, v.ConfigMap.Items})
		case v.Secret != nil:
			sources = append(sources, source{"Secret", v.Secret.SecretName, v.Secret.Items})
		case v.Projected != nil:
			for _, s := range v.Projected.Sources {
				if s.ConfigMap != nil {
					sources = append(sources, source{"ConfigMap", s.ConfigMap.Name, s.ConfigMap.Items})
				}
				if s.Secret != nil {
					sources = append(sources, source{"Secret", s.Secret.Name, s.Secret.Items})
				}
			}
		}
		for _, s := range sources {
			data := c.keys(s.kind, s.name)
			items := s.items
			if len(items) == 0 {
				for k := range data {
					items = append(items, corev1.KeyToPath{Key: k, Path: k})
				}
			}
			for _, it := range items {
				b, ok := data[it.Key]
				if !ok {
					continue // reported by checkReferences
				}
				dst := filepath.Join(root, filepath.FromSlash(m.MountPath), filepath.FromSlash(it.Path))
				if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
					return "", err
				}
				if err := os.WriteFile(dst, b, 0o644); err != nil {
					return "", err
				}
			}
		}
	}
	return root, nil
}

// usedConnStrings returns the connstrings of the services mode runs, by
// service.
func usedConnStrings(cfg *config.Config, mode config.Mode) map[string]string {
	out := map[string]string{}
	if mode == config.ComboMode || mode == config.IndexerMode {
		out["indexer"] = cfg.Indexer.ConnString
	}
	if mode == config.ComboMode || mode == config.MatcherMode {
		out["matcher"] = cfg.Matcher.ConnString
	}
	if mode == config.NotifierMode || mode == config.ComboMode && cfg.Notifier.Delivery() != "" {
		out["notifier"] = cfg.Notifier.ConnString
	}
	return out
}

// checkStorage checks that an embedded database lives on a persistent
// volume that one pod at a time uses, and that a Deployment of several
// pods shares PostgreSQL.
func (c *k8sCheck) checkStorage(w *workload) {
	name := "Deployment " + w.d.Name
	pod := &w.d.Spec.Template.Spec
	for svc, cs := range usedConnStrings(w.cfg, w.mode) {
		file, embedded := config.IsEmbedded(cs)
		if !embedded {
			continue
		}
		if file == "" {
			file = path.Join(w.cfg.DataDir, svc+".db")
		}
		if !path.IsAbs(file) {
			c.errorf("%s: the %s's embedded database %q is not an absolute path", name, svc, file)
			continue
		}
		m, v := mountFor(pod, w.c, file)
		if m == nil || v == nil || v.PersistentVolumeClaim == nil || m.ReadOnly {
			c.errorf("%s: the %s's embedded database %s is not on a writable PersistentVolumeClaim", name, svc, file)
		}
		if w.mode != config.ComboMode {
			c.errorf("%s: -mode %s on an embedded database: its peers cannot share it; use PostgreSQL", name, w.mode)
		}
		if w.d.Spec.Replicas == nil || *w.d.Spec.Replicas != 1 || c.hpaFor(w.d.Name) != nil {
			c.errorf("%s: the embedded database belongs to one process: want replicas: 1 and no autoscaler", name)
		}
		if w.d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
			c.errorf("%s: on an embedded database, a rolling update would run two pods on it; want strategy Recreate", name)
		}
	}
}

// checkPeers checks that the URLs a process uses to reach its peers name
// a Service of the overlay, on one of its ports, in front of pods that
// serve what the URL is used for.
func (c *k8sCheck) checkPeers(w *workload) {
	type peer struct {
		key, url string
		serves   config.Mode
		required bool
	}
	var peers []peer
	if w.mode == config.MatcherMode {
		peers = append(peers, peer{"matcher.indexer_addr", w.cfg.Matcher.IndexerAddr, config.IndexerMode, true})
	}
	if w.mode == config.NotifierMode {
		peers = append(peers,
			peer{"notifier.indexer_addr", w.cfg.Notifier.IndexerAddr, config.IndexerMode, true},
			peer{"notifier.matcher_addr", w.cfg.Notifier.MatcherAddr, config.MatcherMode, true})
	}
	if wh := w.cfg.Notifier.Webhook; wh != nil && (w.mode == config.NotifierMode || w.mode == config.ComboMode) {
		// The callback may name something outside the overlay; check it
		// only when it names one of its Services.
		peers = append(peers, peer{"notifier.webhook.callback", wh.Callback, config.NotifierMode, false})
	}
	for _, p := range peers {
		u, err := url.Parse(p.url)
		if err != nil || u.Host == "" {
			c.errorf("Deployment %s: %s %q is not a URL", w.d.Name, p.key, p.url)
			continue
		}
		host, port := u.Hostname(), u.Port()
		svcName, _, _ := strings.Cut(host, ".")
		svc := c.service(svcName)
		if svc == nil {
			if p.required {
				c.errorf("Deployment %s: %s %q: no Service %q in the overlay", w.d.Name, p.key, p.url, svcName)
			}
			continue
		}
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		var sp *corev1.ServicePort
		for i := range svc.Spec.Ports {
			if strconv.Itoa(int(svc.Spec.Ports[i].Port)) == port {
				sp = &svc.Spec.Ports[i]
			}
		}
		if sp == nil {
			c.errorf("Deployment %s: %s %q: Service %s has no port %s", w.d.Name, p.key, p.url, svc.Name, port)
			continue
		}
		for _, t := range c.selected(svc.Spec.Selector) {
			if t.mode != p.serves && t.mode != config.ComboMode {
				c.errorf("Deployment %s: %s %q reaches Deployment %s, which runs -mode %s", w.d.Name, p.key, p.url, t.d.Name, t.mode)
			}
			if cp, ok := containerPort(t.c, sp.TargetPort); !ok || int(cp) != listenPort(t.cfg) {
				c.errorf("Deployment %s: %s %q reaches port %s of Deployment %s, not its API port", w.d.Name, p.key, p.url, sp.TargetPort.String(), t.d.Name)
			}
		}
	}
}

// listenPort returns the port of http_listen_addr.
func listenPort(cfg *config.Config) int {
	if cfg == nil {
		return apiPort
	}
	_, p, err := net.SplitHostPort(cfg.HTTPListenAddr)
	if err != nil {
		return -1
	}
	n, _ := strconv.Atoi(p)
	return n
}

func (c *k8sCheck) service(name string) *corev1.Service {
	for _, s := range c.objs.services {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// selected returns the workloads whose pods a Service-style selector
// selects.
func (c *k8sCheck) selected(sel map[string]string) []*workload {
	if len(sel) == 0 {
		return nil
	}
	var out []*workload
	for _, w := range c.workloads {
		if labels.SelectorFromSet(sel).Matches(labels.Set(w.d.Spec.Template.Labels)) {
			out = append(out, w)
		}
	}
	return out
}

func (c *k8sCheck) checkService(s *corev1.Service) {
	name := "Service " + s.Name
	ws := c.selected(s.Spec.Selector)
	if len(ws) == 0 {
		c.errorf("%s: selector %v selects no Deployment", name, s.Spec.Selector)
		return
	}
	for _, w := range ws[1:] {
		if w.mode != ws[0].mode {
			c.errorf("%s: selects Deployments of different modes (%s, %s)", name, ws[0].mode, w.mode)
		}
	}
	for _, p := range s.Spec.Ports {
		target := p.TargetPort
		if target.Type == intstr.Int && target.IntVal == 0 {
			target = intstr.FromInt32(p.Port)
		}
		for _, w := range ws {
			if _, ok := containerPort(w.c, target); !ok {
				c.errorf("%s: port %s targets %s, which Deployment %s does not have", name, p.Name, target.String(), w.d.Name)
			}
		}
	}
}

// Public API routes, with the service that serves each, and the internal
// ones that must stay off the Ingress.
var (
	publicRoutes = map[string]config.Mode{
		"/indexer/api/v1/index_report": config.IndexerMode,
		"/indexer/api/v1/index_report/sha256:0000000000000000000000000000000000000000000000000000000000000000": config.IndexerMode,
		"/indexer/api/v1/index_state": config.IndexerMode,
		"/matcher/api/v1/vulnerability_report/sha256:0000000000000000000000000000000000000000000000000000000000000000": config.MatcherMode,
		"/notifier/api/v1/notification/5e4b387e-88d3-4364-86fd-063447a6fad2":                                           config.NotifierMode,
	}
	internalRoutes = []string{
		"/indexer/api/v1/internal/affected_manifest/",
		"/matcher/api/v1/internal/update_operation",
		"/matcher/api/v1/internal/update_diff",
	}
)

func (c *k8sCheck) checkIngress(ing *networkingv1.Ingress) {
	name := "Ingress " + ing.Name
	type route struct {
		path    networkingv1.HTTPIngressPath
		backend []*workload
	}
	var routes []route
	for _, r := range ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for _, p := range r.HTTP.Paths {
			b := p.Backend.Service
			if b == nil {
				c.errorf("%s: path %s: no service backend", name, p.Path)
				continue
			}
			svc := c.service(b.Name)
			if svc == nil {
				c.errorf("%s: path %s: no Service %q in the overlay", name, p.Path, b.Name)
				continue
			}
			var sp *corev1.ServicePort
			for i, port := range svc.Spec.Ports {
				if b.Port.Name != "" && port.Name == b.Port.Name || b.Port.Name == "" && port.Port == b.Port.Number {
					sp = &svc.Spec.Ports[i]
				}
			}
			if sp == nil {
				c.errorf("%s: path %s: Service %s has no port %q/%d", name, p.Path, b.Name, b.Port.Name, b.Port.Number)
				continue
			}
			ws := c.selected(svc.Spec.Selector)
			for _, w := range ws {
				if cp, _ := containerPort(w.c, sp.TargetPort); cp == introspectionPort {
					c.errorf("%s: path %s exposes the unauthenticated introspection port", name, p.Path)
				}
			}
			routes = append(routes, route{p, ws})
		}
	}
	match := func(req string) *route {
		var best *route
		for i, r := range routes {
			if ingressMatches(r.path, req) && (best == nil || len(r.path.Path) > len(best.path.Path)) {
				best = &routes[i]
			}
		}
		return best
	}
	for req, want := range publicRoutes {
		r := match(req)
		if r == nil {
			c.errorf("%s: no path routes %s", name, req)
			continue
		}
		for _, w := range r.backend {
			if w.mode != want && w.mode != config.ComboMode {
				c.errorf("%s: %s goes to Deployment %s, which runs -mode %s", name, req, w.d.Name, w.mode)
			}
		}
	}
	for _, req := range internalRoutes {
		if r := match(req); r != nil {
			c.errorf("%s: path %s exposes the internal route %s", name, r.path.Path, req)
		}
	}
}

// ingressMatches applies an Ingress path's match rules to a request path.
func ingressMatches(p networkingv1.HTTPIngressPath, req string) bool {
	typ := networkingv1.PathTypeImplementationSpecific
	if p.PathType != nil {
		typ = *p.PathType
	}
	switch typ {
	case networkingv1.PathTypeExact:
		return req == p.Path
	case networkingv1.PathTypePrefix:
		want := strings.Split(strings.Trim(p.Path, "/"), "/")
		got := strings.Split(strings.Trim(req, "/"), "/")
		return p.Path == "/" || len(got) >= len(want) && slices.Equal(got[:len(want)], want)
	default:
		return strings.HasPrefix(req, p.Path)
	}
}

func (c *k8sCheck) hpaFor(deployment string) *autoscalingv2.HorizontalPodAutoscaler {
	for _, h := range c.objs.hpas {
		if r := h.Spec.ScaleTargetRef; r.Kind == "Deployment" && r.Name == deployment {
			return h
		}
	}
	return nil
}

func (c *k8sCheck) pdbsFor(w *workload) []*policyv1.PodDisruptionBudget {
	var out []*policyv1.PodDisruptionBudget
	for _, p := range c.objs.pdbs {
		sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
		if err == nil && !sel.Empty() && sel.Matches(labels.Set(w.d.Spec.Template.Labels)) {
			out = append(out, p)
		}
	}
	return out
}

func (c *k8sCheck) checkHPA(h *autoscalingv2.HorizontalPodAutoscaler) {
	name := "HorizontalPodAutoscaler " + h.Name
	ref := h.Spec.ScaleTargetRef
	var w *workload
	for _, x := range c.workloads {
		if x.d.Name == ref.Name {
			w = x
		}
	}
	if ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" || w == nil {
		c.errorf("%s: scaleTargetRef %s %s %s is not a Deployment of the overlay", name, ref.APIVersion, ref.Kind, ref.Name)
		return
	}
	minReplicas := int32(1)
	if h.Spec.MinReplicas != nil {
		minReplicas = *h.Spec.MinReplicas
	}
	if minReplicas < 1 || minReplicas > h.Spec.MaxReplicas {
		c.errorf("%s: minReplicas %d, maxReplicas %d", name, minReplicas, h.Spec.MaxReplicas)
	}
	if w.d.Spec.Replicas != nil {
		c.errorf("%s: Deployment %s sets replicas, which every kubectl apply would reset; leave the count to the autoscaler", name, w.d.Name)
	}
	for _, m := range h.Spec.Metrics {
		if m.Type != autoscalingv2.ResourceMetricSourceType || m.Resource == nil {
			continue
		}
		if m.Resource.Target.Type == autoscalingv2.UtilizationMetricType {
			if _, ok := w.c.Resources.Requests[m.Resource.Name]; !ok {
				c.errorf("%s: scales on %s utilization, but Deployment %s requests no %s", name, m.Resource.Name, w.d.Name, m.Resource.Name)
			}
		}
	}
}

func (c *k8sCheck) checkPDB(p *policyv1.PodDisruptionBudget) {
	name := "PodDisruptionBudget " + p.Name
	var ws []*workload
	for _, w := range c.workloads {
		if slices.Contains(c.pdbsFor(w), p) {
			ws = append(ws, w)
		}
	}
	if len(ws) == 0 {
		c.errorf("%s: selects no Deployment", name)
	}
	for _, w := range ws {
		replicas := int32(1)
		if w.d.Spec.Replicas != nil {
			replicas = *w.d.Spec.Replicas
		}
		if h := c.hpaFor(w.d.Name); h != nil {
			replicas = 1
			if h.Spec.MinReplicas != nil {
				replicas = *h.Spec.MinReplicas
			}
		}
		// A budget must let at least one pod go at the smallest scale, or
		// node drains block.
		var allowed int32
		switch {
		case p.Spec.MaxUnavailable != nil:
			v, err := intstr.GetScaledValueFromIntOrPercent(p.Spec.MaxUnavailable, int(replicas), false)
			if err != nil {
				c.errorf("%s: maxUnavailable: %v", name, err)
			}
			allowed = int32(v)
		case p.Spec.MinAvailable != nil:
			v, err := intstr.GetScaledValueFromIntOrPercent(p.Spec.MinAvailable, int(replicas), true)
			if err != nil {
				c.errorf("%s: minAvailable: %v", name, err)
			}
			allowed = replicas - int32(v)
		}
		if allowed < 1 {
			c.errorf("%s: with %d replicas of Deployment %s, no pod may be evicted: node drains would block", name, replicas, w.d.Name)
		}
	}
}

// TestKubernetesQuantities guards the parsing of GOMEMLIMIT values against
// Kubernetes quantities, which the resource check compares.
func TestKubernetesQuantities(t *testing.T) {
	for s, want := range map[string]int64{"1700MiB": 1700 << 20, "2GiB": 2 << 30, "1048576": 1 << 20, "512B": 512} {
		got, err := parseGoMemLimit(s)
		if err != nil || got != want {
			t.Errorf("parseGoMemLimit(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	if _, err := parseGoMemLimit("2Gi"); err == nil {
		t.Error(`parseGoMemLimit("2Gi") accepted a Kubernetes suffix the Go runtime refuses`)
	}
	if q := resource.MustParse("2Gi"); q.Value() != 2<<30 {
		t.Errorf("2Gi = %d", q.Value())
	}
}
