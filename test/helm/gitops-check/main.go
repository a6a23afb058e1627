// gitops-check decodes Flux manifests strictly into Flux's own Go API types, so a misspelt or misplaced
// field in examples/flux/ fails a test here, where no Flux controllers run. Subcommands: `health` (health.go)
// runs Argo CD health checks under Argo CD's Lua; `kstatus` (kstatus.go) computes kstatus as Flux does;
// `lua -` (lua.go) runs a Lua program from stdin under gopher-lua; `crds` (crds.go) exports the CRDs Argo CD, Flux and the Prometheus Operator ship, for server dry-runs.
// Usage: gitops-check FILE... — one JSON line per document: {file, apiVersion, kind, name, result, error}.
// result is ok, invalid (the document does not decode), or unknown (a kind this tool has no type for).
package main

import (
	"encoding/json"
	"fmt"
	"os"

	helmv2 "github.com/fluxcd/helm-controller/api/v2"
	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	sourcev1 "github.com/fluxcd/source-controller/api/v1"
	"sigs.k8s.io/yaml"
)

type report struct {
	File       string `json:"file"`
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Result     string `json:"result"`
	Error      string `json:"error,omitempty"`
}

// newObject returns an empty Go object of the Flux type for apiVersion/kind, or nil.
func newObject(apiVersion, kind string) any {
	switch apiVersion + "/" + kind {
	case sourcev1.GroupVersion.String() + "/GitRepository":
		return &sourcev1.GitRepository{}
	case sourcev1.GroupVersion.String() + "/HelmRepository":
		return &sourcev1.HelmRepository{}
	case sourcev1.GroupVersion.String() + "/OCIRepository":
		return &sourcev1.OCIRepository{}
	case kustomizev1.GroupVersion.String() + "/Kustomization":
		return &kustomizev1.Kustomization{}
	case helmv2.GroupVersion.String() + "/HelmRelease":
		return &helmv2.HelmRelease{}
	}
	return nil
}

func check(file string) ([]report, error) {
	docs, err := yamlDocuments(file)
	if err != nil {
		return nil, err
	}
	var reports []report
	for _, doc := range docs {
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &head); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if head.Kind == "" {
			continue // an empty document (comments only)
		}
		r := report{File: file, APIVersion: head.APIVersion, Kind: head.Kind, Name: head.Metadata.Name, Result: "ok"}
		obj := newObject(head.APIVersion, head.Kind)
		if obj == nil {
			r.Result = "unknown"
		} else if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			r.Result, r.Error = "invalid", err.Error()
		}
		reports = append(reports, r)
	}
	return reports, nil
}

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "health":
			healthMain(os.Args[2:])
			return
		case "kstatus":
			kstatusMain(os.Args[2:])
			return
		case "crds":
			crdsMain(os.Args[2:])
			return
		case "lua":
			luaMain(os.Args[2:])
			return
		}
	}
	out := json.NewEncoder(os.Stdout)
	failed := false
	for _, file := range os.Args[1:] {
		reports, err := check(file)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gitops-check:", err)
			os.Exit(2)
		}
		for _, r := range reports {
			failed = failed || r.Result == "invalid"
			_ = out.Encode(r)
		}
	}
	if failed {
		os.Exit(1)
	}
}
