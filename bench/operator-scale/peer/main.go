// The controller-runtime peer of the operator-scale benchmark: a reference controller written the way
// kubebuilder scaffolds one, reconciling each TenantSync into the operator's children and a Ready status.
//
// The children come precomputed from the operator's own pure builders (a JSON file written by the bench,
// keyed by namespace/name, without owner references): the comparison is of controller runtimes (cache,
// work queue, client, rate limiter, request pattern), not of the spec → objects derivation.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/go-logr/logr/funcr"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/flowcontrol"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
)

var tenantSyncGVK = schema.GroupVersionKind{Group: "tenantsync.io", Version: "v1alpha1", Kind: "TenantSync"}

const fieldOwner = client.FieldOwner("tenantsync-peer")

type reconciler struct {
	client   client.Client
	reader   client.Reader // uncached: Secrets are read by name, never cached (as the operator does)
	children map[string][]map[string]any
}

// Reconcile: load → Secret exists → apply the children → one status patch when it changed.
func (r *reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ts := &unstructured.Unstructured{}
	ts.SetGroupVersionKind(tenantSyncGVK)
	if err := r.client.Get(ctx, req.NamespacedName, ts); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !ts.GetDeletionTimestamp().IsZero() {
		return ctrl.Result{}, nil
	}
	secretName, _, _ := unstructured.NestedString(ts.Object, "spec", "source", "credentialsSecretRef", "name")
	if err := r.reader.Get(ctx, client.ObjectKey{Namespace: req.Namespace, Name: secretName}, &corev1.Secret{}); err != nil {
		return ctrl.Result{}, err
	}
	for _, child := range r.children[req.String()] {
		obj := &unstructured.Unstructured{Object: deepCopy(child)}
		if err := controllerutil.SetControllerReference(ts, obj, r.client.Scheme()); err != nil {
			return ctrl.Result{}, err
		}
		if err := r.client.Patch(ctx, obj, client.Apply, fieldOwner, client.ForceOwnership); err != nil { //nolint:staticcheck
			return ctrl.Result{}, err
		}
	}
	conditions := []metav1.Condition{}
	if raw, found, _ := unstructured.NestedSlice(ts.Object, "status", "conditions"); found {
		b, _ := json.Marshal(raw)
		_ = json.Unmarshal(b, &conditions)
	}
	changed := meta.SetStatusCondition(&conditions, metav1.Condition{
		Type: "Ready", Status: metav1.ConditionTrue, Reason: "Scheduled", Message: "CronJob is scheduled", ObservedGeneration: ts.GetGeneration(),
	})
	observed, _, _ := unstructured.NestedInt64(ts.Object, "status", "observedGeneration")
	if !changed && observed == ts.GetGeneration() {
		return ctrl.Result{}, nil
	}
	before := ts.DeepCopy()
	b, _ := json.Marshal(conditions)
	var list []any
	_ = json.Unmarshal(b, &list)
	_ = unstructured.SetNestedSlice(ts.Object, list, "status", "conditions")
	_ = unstructured.SetNestedField(ts.Object, ts.GetGeneration(), "status", "observedGeneration")
	return ctrl.Result{}, r.client.Status().Patch(ctx, ts, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
}

func deepCopy(obj map[string]any) map[string]any {
	return (&unstructured.Unstructured{Object: obj}).DeepCopy().Object
}

func main() {
	kubeconfig := flag.String("kubeconfig-file", "", "kubeconfig file")
	childrenFile := flag.String("children", "", "JSON file: {\"<namespace>/<name>\": [child objects]}")
	qps := flag.Float64("kube-api-qps", 20, "client QPS (negative: no client-side limit)")
	burst := flag.Int("kube-api-burst", 30, "client burst")
	sharedLimit := flag.Bool("shared-rate-limit", true, "one token bucket for all requests (false: client-go's bucket per REST client)")
	workers := flag.Int("workers", 4, "MaxConcurrentReconciles")
	flag.Parse()
	// Info level only (controller-runtime logs "Starting workers" there, which the bench waits for); errors too.
	ctrl.SetLogger(funcr.New(func(prefix, args string) { fmt.Fprintln(os.Stderr, prefix, args) }, funcr.Options{Verbosity: 0}))

	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	must(err)
	cfg.QPS = float32(*qps)
	cfg.Burst = *burst
	// One token bucket for every request, as the operator has: without it client-go gives each REST client
	// (controller-runtime makes one per resource type) a bucket of its own, i.e. qps × the kinds it touches.
	if *qps > 0 && *sharedLimit {
		cfg.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(float32(*qps), *burst)
	}
	cfg.UserAgent = "tenantsync-peer"
	data, err := os.ReadFile(*childrenFile)
	must(err)
	children := map[string][]map[string]any{}
	must(json.Unmarshal(data, &children))

	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Metrics: server.Options{BindAddress: "0"}, HealthProbeBindAddress: "0"})
	must(err)
	ts := &unstructured.Unstructured{}
	ts.SetGroupVersionKind(tenantSyncGVK)
	r := &reconciler{client: mgr.GetClient(), reader: mgr.GetAPIReader(), children: children}
	must(ctrl.NewControllerManagedBy(mgr).
		Named("tenantsync-peer").
		For(ts, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Owns(&batchv1.CronJob{}).
		Owns(&corev1.ConfigMap{}).
		WithOptions(controller.Options{MaxConcurrentReconciles: *workers}).
		Complete(r))
	fmt.Fprintf(os.Stderr, "peer starting at %s (qps %v, burst %d, workers %d, %d tenants)\n", time.Now().Format(time.RFC3339), *qps, *burst, *workers, len(children))
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil && !apierrors.IsNotFound(err) {
		must(err)
	}
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "peer:", err)
		os.Exit(1)
	}
}
